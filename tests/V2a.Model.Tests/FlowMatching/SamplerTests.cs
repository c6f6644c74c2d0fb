using TorchSharp;
using V2a.Model.FlowMatching;
using V2a.Model.Network;
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
    public void Negative_guidance_takes_away_the_negative_prompts_effect_on_the_video()
    {
        // Given predictions for video + prompt, video + negative prompt, nothing, and the video alone, one value each
        var four = torch.tensor(new float[] { 2, 5, 1, 3 }, [4, 1]);
        var both = new GuidanceRows(Prompt: true, Negative: true);

        // Then v(∅) + w(v(pos) − v(∅)) − s·max(0, v(video, neg) − v(video)): w = 1.5, s = 1.5 gives 1 + 1.5 − 1.5·2 = −0.5
        Assert.Equal(-0.5f, Guidance.CombineTerms(four, both, 1.5, 1.5, 0).item<float>(), 5);

        // And without a prompt the positive side is the video alone: 1 + 1.5 − 1.5·(5 − 2) = −2
        Assert.Equal(-2f, Guidance.CombineTerms(four.narrow(0, 0, 3), new GuidanceRows(Prompt: false, Negative: true), 1.5, 1.5, 0).item<float>(), 5);

        // And s = 0 is the plain guidance v(∅) + w(v(pos) − v(∅)) = 2.5
        Assert.Equal(2.5f, Guidance.CombineTerms(four, both, 1.5, 0, 0).item<float>(), 5);

        // And where naming the sound would make the scene quieter (v(video, neg) = 1 under v(video) = 3) it only takes
        // out: nothing is added, the plain guidance 2.5 at any strength; one cell each way, side by side
        var twoCells = torch.tensor(new float[] { 2, 2, 1, 5, 1, 1, 3, 3 }, [4, 2]);
        var v = Guidance.CombineTerms(twoCells, both, 1.5, 1.5, 0);
        Assert.Equal(2.5f, v[0, 0].item<float>(), 5);
        Assert.Equal(-0.5f, v[0, 1].item<float>(), 5);
        Assert.Equal(2.5f, Guidance.CombineTerms(twoCells, both, 1.5, 20, 0)[0, 0].item<float>(), 5);
    }

    [Fact]
    public void Prompt_strength_adds_what_the_words_add_to_the_video_alone()
    {
        // Given predictions for video + prompt, nothing, and the video alone (no negative prompt), one value each
        var three = torch.tensor(new float[] { 2, 1, 3 }, [3, 1]);
        var promptOnly = new GuidanceRows(Prompt: true, Negative: false);
        Assert.Equal(3, promptOnly.Count);
        Assert.Equal(new[] { false, true, true }, promptOnly.TextEmpty());
        Assert.Equal(new[] { false, true, false }, promptOnly.VideoEmpty());

        // Then v(∅) + w(v(pos) − v(∅)) + p(v(pos) − v(video)): w = 1.5, p = 2 gives 1 + 1.5 + 2·(2 − 3) = 0.5
        Assert.Equal(0.5f, Guidance.CombineTerms(three, promptOnly, 1.5, 0, 2).item<float>(), 5);

        // And with a negative prompt too (rows: pos, neg, ∅, video): 1 + 1.5 + 2·(2 − 3) − 1.5·(5 − 3) = −2.5
        var four = torch.tensor(new float[] { 2, 5, 1, 3 }, [4, 1]);
        Assert.Equal(-2.5f, Guidance.CombineTerms(four, new GuidanceRows(Prompt: true, Negative: true), 1.5, 1.5, 2).item<float>(), 5);

        // And without a prompt there is nothing for p to weigh: the positive side is the video alone
        var noPrompt = new GuidanceRows(Prompt: false, Negative: true);
        Assert.Equal(new[] { true, false, true }, noPrompt.TextEmpty());
        Assert.Equal(Guidance.CombineTerms(four.narrow(0, 0, 3), noPrompt, 1.5, 1.5, 0).item<float>(),
            Guidance.CombineTerms(four.narrow(0, 0, 3), noPrompt, 1.5, 1.5, 2).item<float>(), 6);
    }

    [Fact]
    public void Negative_guidance_on_the_network_is_plain_guidance_at_strength_zero_and_needs_no_fourth_side_without_a_prompt()
    {
        // Given one video on every side, a prompt and a negative prompt
        using var model = TestSupport.RandomModel();
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var net = TestSupport.Perturb(model.Network);
        var seq = model.Config.Sequence(1.28);
        var (frames, ids, mask) = TestSupport.Inputs(model.Config, seq, 4);
        var video = frames.narrow(0, 0, 1).repeat(4, 1, 1, 1, 1);
        var x = torch.randn(1, 80, seq.MelFrames);
        var t = torch.tensor(new[] { 0.3f });
        ConditionSet Sides(int n, bool[] textEmpty, bool[] videoEmpty) => net.PrepareConditions(video.narrow(0, 0, n),
            ids.narrow(0, 0, n), mask.narrow(0, 0, n), TestSupport.Flags(textEmpty), TestSupport.Flags(videoEmpty), seq);
        var both = new GuidanceRows(Prompt: true, Negative: true);
        var four = Sides(4, both.TextEmpty(), both.VideoEmpty());
        var plain = Sides(2, [false, true], [false, true]);

        // When guided with w = 2 plainly (video + prompt against nothing) and with the negative at s = 0 and s = 2
        var plainGuided = Guidance.Guided((xx, tt) => net.PredictVelocity(xx, tt, plain), 2.0)(x, t);
        var zero = Guidance.GuidedTerms((xx, tt) => net.PredictVelocity(xx, tt, four), both, 2.0, 0, 0)(x, t);
        var pushed = Guidance.GuidedTerms((xx, tt) => net.PredictVelocity(xx, tt, four), both, 2.0, 2.0, 0)(x, t);

        // Then s = 0 is the plain guidance and s = 2 moves it
        Assert.True((plainGuided - zero).abs().max().item<float>() < 1e-4f);
        Assert.True((pushed - plainGuided).abs().max().item<float>() > 1e-3f);

        // And without a prompt, three sides give what four give with the video alone repeated
        var noPromptFour = Sides(4, [true, false, true, true], [false, false, true, false]);
        var three = new GuidanceRows(Prompt: false, Negative: true);
        var noPromptThree = Sides(3, three.TextEmpty(), three.VideoEmpty());
        var viaFour = Guidance.GuidedTerms((xx, tt) => net.PredictVelocity(xx, tt, noPromptFour), both, 2.0, 2.0, 0)(x, t);
        var viaThree = Guidance.GuidedTerms((xx, tt) => net.PredictVelocity(xx, tt, noPromptThree), three, 2.0, 2.0, 0)(x, t);
        Assert.True((viaFour - viaThree).abs().max().item<float>() < 1e-4f);

        // And a prompt strength moves the guided velocity where the prompt changes the network's answer
        var promptOnly = new GuidanceRows(Prompt: true, Negative: false);
        var threePrompt = Sides(3, promptOnly.TextEmpty(), promptOnly.VideoEmpty());
        var p0 = Guidance.GuidedTerms((xx, tt) => net.PredictVelocity(xx, tt, threePrompt), promptOnly, 2.0, 0, 0)(x, t);
        var p2 = Guidance.GuidedTerms((xx, tt) => net.PredictVelocity(xx, tt, threePrompt), promptOnly, 2.0, 0, 2.0)(x, t);
        Assert.True((p0 - plainGuided).abs().max().item<float>() < 1e-4f);
        Assert.True((p2 - p0).abs().max().item<float>() > 1e-3f);
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

    [Fact]
    public void A_time_shift_moves_training_towards_the_noise_end()
    {
        // Given flow times 0, 0.5, 0.75 and 0.9
        using var t = torch.tensor(new[] { 0f, 0.5f, 0.75f, 0.9f });

        // When shifted by 3, then each time's odds t / (1 − t) are divided by 3: 0 → 0, 0.5 → 0.25, 0.75 → 0.5, 0.9 → 0.75;
        // and a shift of 1 changes nothing
        var shifted = FlowMatchingLoss.ShiftTime(t, 3).data<float>().ToArray();
        Assert.Equal([0f, 0.25f, 0.5f, 0.75f], shifted.Select(x => MathF.Round(x, 6)));
        Assert.Equal(t.data<float>().ToArray(), FlowMatchingLoss.ShiftTime(t, 1).data<float>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => FlowMatchingLoss.ShiftTime(t, 0));

        // And on the training mix (half uniform), a shift of 2 doubles the share near pure noise: P(t < 0.2) goes from
        // 0.5·0.2 + 0.5·Φ(logit 0.2) ≈ 0.141 to 0.5·P(u < 1/3) + 0.5·Φ(logit 1/3) ≈ 0.289
        const int n = 200_000;
        double Share(double shift) =>
            FlowMatchingLoss.SampleTime(n, new Generator(4), torch.CPU, 0.5, shift).lt(0.2).to_type(ScalarType.Float32).mean().item<float>();
        Assert.InRange(Share(1), 0.136, 0.146);
        Assert.InRange(Share(2), 0.283, 0.295);

        // And the loss draws its times that way: a predictor that answers t everywhere, against data 0 (target −x0, the
        // same noise for both: same seed), scores 1 + E[t²] (the cross term averages out), E[t²] ≈ 0.31 unshifted and
        // ≈ 0.17 shifted by 2
        using var x1 = torch.zeros(20_000, 1, 1);
        double LossOf(double shift) => FlowMatchingLoss.Loss((xt, tt) => tt.view(-1, 1, 1), x1, new Generator(5), 0.5, timeShift: shift).item<float>();
        Assert.InRange(LossOf(1) - LossOf(2), 0.08, 0.2);
    }
}
