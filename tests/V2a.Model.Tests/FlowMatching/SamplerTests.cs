using TorchSharp;
using V2a.Model.FlowMatching;
using static TorchSharp.torch;

namespace V2a.Model.Tests.FlowMatching;

public class SamplerTests
{
    [Fact]
    public void Heun_is_second_order_and_agrees_with_a_fine_Euler_solution()
    {
        // Given dx/dt = x, whose exact solution from x0 is x0·e^t
        TorchRuntime.Initialise();
        using var scope = torch.NewDisposeScope();
        var x0 = torch.tensor(new[] { 1f, -2f });
        Tensor Field(Tensor x, Tensor t) => x.clone();
        var exact = x0 * Math.E;

        // When integrated with Euler (64 steps) and Heun (8 and 16 steps)
        var euler = new FlowMatchingSampler(64, OdeSolver.Euler).Sample(Field, x0);
        var heun8 = new FlowMatchingSampler(8, OdeSolver.Heun).Sample(Field, x0);
        var heun16 = new FlowMatchingSampler(16, OdeSolver.Heun).Sample(Field, x0);
        var mid16 = new FlowMatchingSampler(16, OdeSolver.Midpoint).Sample(Field, x0);

        // Then Heun's error falls ~4× when steps double, Heun with 16 steps beats Euler with 64, and all agree
        var e8 = (heun8 - exact).abs().max().item<float>();
        var e16 = (heun16 - exact).abs().max().item<float>();
        var eEuler = (euler - exact).abs().max().item<float>();
        Assert.InRange(e8 / e16, 3.5, 4.5);
        Assert.True(e16 < eEuler, $"heun16 {e16} vs euler64 {eEuler}");
        Assert.True((mid16 - exact).abs().max().item<float>() < eEuler);
        Assert.True(eEuler < 0.05);
    }

    [Fact]
    public void Euler_and_Heun_agree_on_the_generator_network()
    {
        // Given a (perturbed) debug network and one clip's conditions
        using var model = TestSupport.RandomModel();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var seq = model.Config.Sequence(1.28);
        var (frames, ids, mask) = TestSupport.Inputs(model.Config, seq, 1);
        var cond = model.Network.PrepareConditions(frames, ids, mask, TestSupport.Flags(false), TestSupport.Flags(false), seq);
        Tensor V(Tensor x, Tensor t) => model.Network.PredictVelocity(x, t, cond);
        var x0 = torch.randn([1, 80, seq.MelFrames], generator: new Generator(4));

        // When sampled with Euler (64 steps) and Heun (16 steps)
        var euler = new FlowMatchingSampler(64, OdeSolver.Euler).Sample(V, x0);
        var heun = new FlowMatchingSampler(16, OdeSolver.Heun).Sample(V, x0);
        var coarse = new FlowMatchingSampler(4, OdeSolver.Euler).Sample(V, x0);

        // Then they end close together, closer than a coarse 4-step Euler does
        var gap = (euler - heun).abs().mean().item<float>();
        var coarseGap = (euler - coarse).abs().mean().item<float>();
        Assert.True(gap < 0.5 * coarseGap, $"Euler64–Heun16 {gap}, Euler64–Euler4 {coarseGap}");
    }

    [Fact]
    public void Guidance_weight_one_equals_the_conditional_prediction()
    {
        // Given a network, a positive condition (video + prompt) and a negative one (no video + negative prompt)
        using var model = TestSupport.RandomModel();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var net = model.Network;
        var seq = model.Config.Sequence(1.28);
        var (frames, ids, mask) = TestSupport.Inputs(model.Config, seq, 2);
        var both = net.PrepareConditions(frames, ids, mask, TestSupport.Flags(false, false), TestSupport.Flags(false, true), seq);
        var positive = net.PrepareConditions(frames.narrow(0, 0, 1), ids.narrow(0, 0, 1), mask.narrow(0, 0, 1), TestSupport.Flags(false), TestSupport.Flags(false), seq);
        var x = torch.randn(1, 80, seq.MelFrames);
        var t = torch.tensor(new[] { 0.3f });

        // When guided with w = 1 (and with w = 3 for contrast)
        var guided1 = Guidance.Guided((xx, tt) => net.PredictVelocity(xx, tt, both), 1.0)(x, t);
        var guided3 = Guidance.Guided((xx, tt) => net.PredictVelocity(xx, tt, both), 3.0)(x, t);
        var conditional = net.PredictVelocity(x, t, positive);

        // Then w = 1 is the conditional prediction, and w = 3 is not
        Assert.True((guided1 - conditional).abs().max().item<float>() < 1e-5f);
        Assert.True((guided3 - conditional).abs().max().item<float>() > 1e-3f);
    }

    [Fact]
    public void Three_sided_guidance_is_the_two_sided_formula_at_strength_w_minus_one()
    {
        // Given predictions for the positive, negative and unconditional sides, one value each
        var stacked = torch.tensor(new float[] { 2, 5, 1 }, [3, 1]);

        // Then v(∅) + w(v(pos) − v(∅)) − s(v(neg) − v(∅)): w = 1.5, s = 1.5 gives 1 + 1.5 − 6 = −3.5
        Assert.Equal(-3.5f, Guidance.Combine3(stacked, 1.5, 1.5).item<float>(), 5);

        // And with s = w − 1 the unconditional side drops out: v(neg) + w(v(pos) − v(neg)) = 5 + 1.5·(−3) = 0.5
        Assert.Equal(0.5f, Guidance.Combine3(stacked, 1.5, 0.5).item<float>(), 5);
        Assert.Equal(Guidance.Combine(stacked.narrow(0, 0, 2), 1.5).item<float>(), Guidance.Combine3(stacked, 1.5, 0.5).item<float>(), 5);
    }

    [Fact]
    public void Three_sided_guidance_on_the_network_matches_two_sided_at_strength_w_minus_one()
    {
        // Given the generator's sides: video + prompt, no video + negative prompt, no video + no text
        using var model = TestSupport.RandomModel();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var net = TestSupport.Perturb(model.Network);
        var seq = model.Config.Sequence(1.28);
        var (frames, ids, mask) = TestSupport.Inputs(model.Config, seq, 3);
        var three = net.PrepareConditions(frames, ids, mask, TestSupport.Flags(false, false, true), TestSupport.Flags(false, true, true), seq);
        var two = net.PrepareConditions(frames.narrow(0, 0, 2), ids.narrow(0, 0, 2), mask.narrow(0, 0, 2), TestSupport.Flags(false, false),
            TestSupport.Flags(false, true), seq);
        var x = torch.randn(1, 80, seq.MelFrames);
        var t = torch.tensor(new[] { 0.3f });

        // When guided with w = 2 both ways, and three-sided with a stronger negative
        var twoSided = Guidance.Guided((xx, tt) => net.PredictVelocity(xx, tt, two), 2.0)(x, t);
        var threeSided = Guidance.Guided3((xx, tt) => net.PredictVelocity(xx, tt, three), 2.0, 1.0)(x, t);
        var stronger = Guidance.Guided3((xx, tt) => net.PredictVelocity(xx, tt, three), 2.0, 3.0)(x, t);

        // Then s = w − 1 reproduces the two-sided prediction, and a stronger negative moves it
        Assert.True((twoSided - threeSided).abs().max().item<float>() < 1e-4f);
        Assert.True((stronger - twoSided).abs().max().item<float>() > 1e-3f);
    }

    [Fact]
    public void Flow_matching_loss_is_zero_for_the_true_velocity()
    {
        // Given data and a "network" that knows x0 (it recovers it from x_t and t for this fixed data)
        TorchRuntime.Initialise();
        using var scope = torch.NewDisposeScope();
        var x1 = torch.randn(4, 3, 5, generator: new Generator(1));
        Tensor Oracle(Tensor xt, Tensor t)
        {
            var tt = t.view(-1, 1, 1);
            var x0 = (xt - (tt * x1)) / (1 - tt);
            return x1 - x0;
        }

        // When the loss is computed, then it is (numerically) zero; a zero predictor is not
        Assert.True(FlowMatchingLoss.Loss(Oracle, x1, new Generator(2)).item<float>() < 1e-6f);
        Assert.True(FlowMatchingLoss.Loss((xt, t) => torch.zeros_like(xt), x1, new Generator(2)).item<float>() > 0.5f);
    }

    [Fact]
    public void Training_times_reach_the_noise_end_of_the_path()
    {
        // Given 200,000 training flow times, logit-normal alone and with half drawn uniformly
        const int n = 200_000;
        double Share(double uniform, double below) =>
            FlowMatchingLoss.SampleTime(n, new Generator(3), torch.CPU, uniform).lt(below).to_type(ScalarType.Float32).mean().item<float>();

        // Then the logit-normal alone almost never trains near pure noise (P(t < 0.05) = Φ(logit 0.05) ≈ 0.16%),
        // where only the conditions say what the sound is; the mix gives it 0.5·5% + 0.5·0.16% ≈ 2.6%
        Assert.InRange(Share(0, 0.05), 0.0010, 0.0022);
        Assert.InRange(Share(0.5, 0.05), 0.0238, 0.0280);
        Assert.InRange(Share(0.5, 0.5), 0.49, 0.51);
    }
}
