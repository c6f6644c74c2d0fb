using TorchSharp;
using static TorchSharp.torch;

namespace V2a.Model.FlowMatching;

/// <summary>ODE solvers for dx/dt = v(x, t) from t = 0 (noise) to t = 1 (data).</summary>
public enum OdeSolver
{
    /// <summary>One network evaluation a step.</summary>
    Euler,

    /// <summary>Heun's second-order method: two evaluations a step (one on the last step's end point).</summary>
    Heun,

    /// <summary>Explicit midpoint: two evaluations a step.</summary>
    Midpoint,
}

/// <summary>
/// Integrates the flow from noise to data on a uniform time grid. Holds no network: the velocity is a
/// callback, so the same sampler serves guided and unguided models, and tests can give it a known field.
/// </summary>
public sealed class FlowMatchingSampler
{
    public FlowMatchingSampler(int steps, OdeSolver solver = OdeSolver.Euler)
    {
        if (steps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(steps), steps, "at least one step");
        }

        Steps = steps;
        Solver = solver;
    }

    public int Steps { get; }

    public OdeSolver Solver { get; }

    /// <summary>Network evaluations one sample costs.</summary>
    public int Evaluations => Solver == OdeSolver.Euler ? Steps : 2 * Steps;

    public static OdeSolver ParseSolver(string name) => name.ToLowerInvariant() switch
    {
        "euler" => OdeSolver.Euler,
        "heun" => OdeSolver.Heun,
        "midpoint" => OdeSolver.Midpoint,
        _ => throw new BadInputException(null, $"unknown solver '{name}' (known: euler, heun, midpoint)"),
    };

    /// <summary>Integrates from <paramref name="x0"/> (noise at t = 0) to t = 1.</summary>
    /// <param name="velocity">(x, t as (B)) → dx/dt, same shape as x.</param>
    /// <param name="constrain">Optional: after each step, (x, t) → x with known parts put back at their
    /// level of noise for time t (continuation from a previous window).</param>
    /// <param name="onStep">Called with the number of finished steps.</param>
    public Tensor Sample(Func<Tensor, Tensor, Tensor> velocity, Tensor x0, Func<Tensor, double, Tensor>? constrain = null,
        Action<int>? onStep = null)
    {
        var batch = x0.shape[0];
        var x = x0.alias();
        if (constrain is not null)
        {
            x = constrain(x, 0);
        }

        for (var i = 0; i < Steps; i++)
        {
            var t0 = (double)i / Steps;
            var t1 = (double)(i + 1) / Steps;
            var dt = t1 - t0;
            using (var scope = torch.NewDisposeScope())
            {
                var v0 = velocity(x, Time(batch, t0, x.device));
                Tensor next;
                switch (Solver)
                {
                    case OdeSolver.Euler:
                        next = x.Plus(v0.Times(dt));
                        break;
                    case OdeSolver.Heun:
                        var guess = x.Plus(v0.Times(dt));
                        var v1 = velocity(guess, Time(batch, t1, x.device));
                        next = x.Plus(v0.Plus(v1).Times(dt * 0.5));
                        break;
                    case OdeSolver.Midpoint:
                        var mid = x.Plus(v0.Times(dt * 0.5));
                        var vm = velocity(mid, Time(batch, t0 + (dt / 2), x.device));
                        next = x.Plus(vm.Times(dt));
                        break;
                    default:
                        throw new InvalidOperationException($"solver {Solver}");
                }

                if (constrain is not null)
                {
                    next = constrain(next, t1);
                }

                var previous = x;
                x = next.MoveToOuterDisposeScope();
                previous.Dispose();
            }

            onStep?.Invoke(i + 1);
        }

        return x;
    }

    private static Tensor Time(long batch, double t, Device device) => torch.full(batch, t, dtype: ScalarType.Float32, device: device);
}

/// <summary>
/// Classifier-free guidance with a negative prompt (DESIGN.md): v = v(neg) + w·(v(pos) − v(neg)), where the
/// negative side has the empty visual condition and the negative prompt's text (or the empty text).
/// Both sides run as one batch of two per clip.
/// </summary>
public static class Guidance
{
    /// <summary>Combines the two halves of a batched prediction: rows [0, B) positive, [B, 2B) negative.</summary>
    public static Tensor Combine(Tensor stacked, double weight)
    {
        var halves = stacked.chunk(2, 0);
        return halves[1].Plus((halves[0] - halves[1]).Times(weight));
    }

    /// <summary>
    /// Guidance with separate terms for the prompt and the negative prompt, each measured with the video on both sides:
    /// v = v(∅) + w·(v(pos) − v(∅)) + p·(v(pos) − v(video)) − s·max(0, v(video, neg) − v(video)).
    /// The negative prompt's term names what to take out of this scene rather than what the named sound is like
    /// anywhere, and it only takes out: at a given x_t the velocity's difference is the difference of the predicted
    /// mels over (1 − t), so its positive part is where naming the sound would make the mel louder — lowered here —
    /// and its negative part is where the named sound would be quieter, which pushed away would add sound the scene
    /// does not have (the unclamped term raised the raw level by 24 dB and cost the timing, MODEL_CARD.md). The
    /// prompt's term is what the words add to what the video alone would give, so a video the model reads strongly
    /// does not drown them. Rows of <paramref name="stacked"/>, B each, in the order of
    /// <see cref="GuidanceRows"/>: positive (video + prompt, or the video alone without a prompt), the negative prompt
    /// (video + negative prompt) when there is one, unconditional (no video, no text), and the video alone (no text) when
    /// there is a prompt. Without a prompt the p term is 0; without a negative prompt the s term is. At p = s = 0 this is
    /// the plain guidance v(∅) + w·(v(pos) − v(∅)).
    /// </summary>
    public static Tensor CombineTerms(Tensor stacked, GuidanceRows layout, double weight, double negativeStrength, double promptStrength)
    {
        var rows = stacked.chunk(layout.Count, 0);
        var pos = rows[0];
        var none = rows[layout.Unconditional];
        var videoOnly = layout.Prompt ? rows[layout.VideoOnly] : pos;
        var v = none.Plus((pos - none).Times(weight));
        if (layout.Prompt && promptStrength != 0)
        {
            v = v.Plus((pos - videoOnly).Times(promptStrength));
        }

        if (layout.Negative && negativeStrength != 0)
        {
            v = v - (rows[layout.NegativeRow] - videoOnly).clamp_min(0).Times(negativeStrength);
        }

        return v;
    }

    /// <summary>A guided velocity for the sampler: duplicates x and t, evaluates both sides, combines.</summary>
    /// <param name="velocity2B">The network over a batch of 2B (conditions: positive rows then negative rows).</param>
    public static Func<Tensor, Tensor, Tensor> Guided(Func<Tensor, Tensor, Tensor> velocity2B, double weight) =>
        (x, t) => Combine(velocity2B(torch.cat([x, x], 0), torch.cat([t, t], 0)), weight);

    /// <summary>The sampler's velocity for <see cref="CombineTerms"/>: repeats x and t once per row, evaluates them, combines.</summary>
    public static Func<Tensor, Tensor, Tensor> GuidedTerms(Func<Tensor, Tensor, Tensor> velocity, GuidanceRows layout, double weight, double negativeStrength,
        double promptStrength) =>
        (x, t) => CombineTerms(velocity(torch.cat(Enumerable.Repeat(x, layout.Count).ToArray(), 0), torch.cat(Enumerable.Repeat(t, layout.Count).ToArray(), 0)),
            layout, weight, negativeStrength, promptStrength);
}

/// <summary>
/// The rows of a batch guided by <see cref="Guidance.CombineTerms"/>, in order: positive (video + prompt, or the video
/// alone), the video with the negative prompt (when <paramref name="Negative"/>), unconditional (no video, no text), the
/// video alone (when <paramref name="Prompt"/>). Each row is one network pass per step.
/// </summary>
public sealed record GuidanceRows(bool Prompt, bool Negative)
{
    public int Count => 2 + (Prompt ? 1 : 0) + (Negative ? 1 : 0);

    public int NegativeRow => Negative ? 1 : throw new InvalidOperationException("no negative row");

    public int Unconditional => Negative ? 2 : 1;

    public int VideoOnly => Prompt ? Unconditional + 1 : throw new InvalidOperationException("no video-alone row");

    /// <summary>Per row: its text is empty (the positive row when there is no prompt, the unconditional and video-alone rows).</summary>
    public bool[] TextEmpty() => Flags(!Prompt, negative: false, none: true, videoOnly: true);

    /// <summary>Per row: its video is empty (the unconditional row alone).</summary>
    public bool[] VideoEmpty() => Flags(false, negative: false, none: true, videoOnly: false);

    private bool[] Flags(bool positive, bool negative, bool none, bool videoOnly)
    {
        var flags = new List<bool> { positive };
        if (Negative)
        {
            flags.Add(negative);
        }

        flags.Add(none);
        if (Prompt)
        {
            flags.Add(videoOnly);
        }

        return [.. flags];
    }
}
