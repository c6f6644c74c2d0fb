using System.Runtime.CompilerServices;

namespace V2a.Model.Audio;

/// <summary>
/// Phase from STFT magnitude alone by phase-gradient heap integration (Průša, Balazs &amp; Søndergaard 2017,
/// "A noniterative method for reconstruction of phase from STFT magnitude"). For a Gaussian window the
/// phase's derivatives follow from the log-magnitude's: along time (radians per hop) the bin's centre
/// frequency plus (a·M/γ)·∂log|X|/∂bin, along frequency (radians per bin) −(γ/(a·M))·∂log|X|/∂frame, with
/// γ = C_g·winLength² fitting a Gaussian to the Hann window (C_g = 0.25645). The phase is integrated from the
/// loudest coefficient outwards (a max-heap on magnitude, trapezoidal steps to each unset neighbour), so it
/// follows the strong ridges first; coefficients below <see cref="RelativeTolerance"/> of the loudest keep a
/// seeded random phase. It gives an impulse a phase that is coherent across frequency — what Griffin-Lim from
/// random phases takes hundreds of iterations to find on impacts.
/// </summary>
/// <remarks>
/// The convention is the front end's (<see cref="MelSpectrogram.Spectrum"/>, torch.stft without centring):
/// frame n holds samples [n·hop, n·hop + n_fft) with the window's peak at n_fft/2, so every bin carries a
/// factor (−1)^m against the zero-centred window the derivation assumes; it is applied at the end.
/// </remarks>
public static class PhaseGradient
{
    /// <summary>Window constant of the Gaussian closest to a Hann window (γ = C_g·length²).</summary>
    public const double HannWindowConstant = 0.25645;

    /// <summary>Coefficients quieter than this share of the loudest (−100 dB) get a random phase.</summary>
    public const double RelativeTolerance = 1e-5;

    /// <summary>Loudness steps of the integration order between the tolerance and the loudest coefficient.</summary>
    private const int LoudnessBuckets = 2048;

    /// <summary>
    /// Phases (radians) for the magnitude <paramref name="magnitude"/>, row-major (bins, frames) with bins =
    /// n_fft/2 + 1 of <paramref name="settings"/>.
    /// </summary>
    /// <param name="random">Source of the phases of coefficients below the tolerance.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per window: no time for the tiered JIT to warm up
    public static float[] Reconstruct(ReadOnlySpan<float> magnitude, int bins, int frames, AudioSettings settings, Random random)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(random);
        if (bins != (settings.NFft / 2) + 1 || frames < 1 || magnitude.Length != bins * frames)
        {
            throw new ArgumentException($"magnitude must be ({(settings.NFft / 2) + 1} bins × frames), got {magnitude.Length} values for {bins} × {frames}");
        }

        var count = bins * frames;
        var phase = new float[count];
        var logs = new double[count];
        var max = 0.0;
        for (var i = 0; i < count; i++)
        {
            max = Math.Max(max, magnitude[i]);
        }

        for (var i = 0; i < count; i++)
        {
            logs[i] = Math.Log(magnitude[i] + 1e-30);
            phase[i] = (float)(random.NextDouble() * 2 * Math.PI);
        }

        if (max <= 0)
        {
            return phase;
        }

        double a = settings.HopLength, m = settings.NFft;
        var gamma = HannWindowConstant * settings.WinLength * (double)settings.WinLength;
        var timeScale = a * m / gamma;   // ∂log|X|/∂bin → radians per hop
        var freqScale = -gamma / (a * m); // ∂log|X|/∂frame → radians per bin
        var timeGrad = new double[count];
        var freqGrad = new double[count];
        for (var k = 0; k < bins; k++)
        {
            var centre = 2 * Math.PI * a * k / m;
            for (var n = 0; n < frames; n++)
            {
                var i = (k * frames) + n;
                timeGrad[i] = centre + (timeScale * Derivative(logs, k, bins, frames, i));
                freqGrad[i] = freqScale * Derivative(logs, n, frames, 1, i);
            }
        }

        var threshold = Math.Log(max * RelativeTolerance);
        var todo = new bool[count];
        var remaining = 0;
        for (var i = 0; i < count; i++)
        {
            if (logs[i] > threshold)
            {
                todo[i] = true;
                remaining++;
            }
        }

        // Loudness order by a bucket queue over [threshold, log max] (LoudnessBuckets steps of about 0.006 nats; within
        // a bucket the last pushed comes first): O(1) a push or pop, where a binary heap cost this method most of its time.
        var integrated = new double[count];
        var bucketOf = new int[count];
        var span = Math.Max(Math.Log(max) - threshold, 1e-9);
        var seeds = new Buckets(LoudnessBuckets, count);
        for (var i = count - 1; i >= 0; i--)
        {
            if (todo[i])
            {
                bucketOf[i] = Math.Min(LoudnessBuckets - 1, (int)((logs[i] - threshold) / span * LoudnessBuckets));
                seeds.Push(i, bucketOf[i]);
            }
        }

        var queue = new Buckets(LoudnessBuckets, count);
        while (remaining > 0)
        {
            // A new island starts at its loudest coefficient with phase 0.
            int seed;
            do
            {
                seed = seeds.Pop();
            }
            while (!todo[seed]);

            todo[seed] = false;
            remaining--;
            integrated[seed] = 0;
            queue.Push(seed, bucketOf[seed]);
            for (var i = queue.Pop(); i >= 0; i = queue.Pop())
            {
                var (k, n) = (i / frames, i % frames);
                if (n + 1 < frames)
                {
                    Step(i, i + 1, (timeGrad[i] + timeGrad[i + 1]) / 2);
                }

                if (n > 0)
                {
                    Step(i, i - 1, -(timeGrad[i] + timeGrad[i - 1]) / 2);
                }

                if (k + 1 < bins)
                {
                    Step(i, i + frames, (freqGrad[i] + freqGrad[i + frames]) / 2);
                }

                if (k > 0)
                {
                    Step(i, i - frames, -(freqGrad[i] + freqGrad[i - frames]) / 2);
                }
            }
        }

        for (var i = 0; i < count; i++)
        {
            if (logs[i] > threshold)
            {
                // (−1)^k for the window's peak at n_fft/2 of each frame.
                var k = i / frames;
                var x = integrated[i] + (Math.PI * (k & 1));
                phase[i] = (float)(x - (2 * Math.PI * Math.Round(x / (2 * Math.PI))));
            }
        }

        return phase;

        void Step(int from, int to, double delta)
        {
            if (!todo[to])
            {
                return;
            }

            todo[to] = false;
            remaining--;
            integrated[to] = integrated[from] + delta;
            queue.Push(to, bucketOf[to]);
        }
    }

    /// <summary>Centred difference of <paramref name="values"/> at flat index <paramref name="i"/> along an axis
    /// where the index is <paramref name="position"/> of <paramref name="length"/> and neighbours lie
    /// <paramref name="stride"/> apart; one-sided at the ends, 0 for a single element.</summary>
    private static double Derivative(double[] values, int position, int length, int stride, int i)
    {
        if (length < 2)
        {
            return 0;
        }

        if (position == 0)
        {
            return values[i + stride] - values[i];
        }

        if (position == length - 1)
        {
            return values[i] - values[i - stride];
        }

        return (values[i + stride] - values[i - stride]) / 2;
    }

    /// <summary>A max-priority queue of indices with integer priorities 0 … buckets − 1: a stack per priority
    /// (linked through <c>_next</c>, so an index may be in the queue once at a time) and a cursor at the highest.</summary>
    private sealed class Buckets
    {
        private readonly int[] _head;
        private readonly int[] _next;
        private int _top = -1;

        public Buckets(int buckets, int indices)
        {
            _head = new int[buckets];
            Array.Fill(_head, -1);
            _next = new int[indices];
        }

        public void Push(int index, int bucket)
        {
            _next[index] = _head[bucket];
            _head[bucket] = index;
            _top = Math.Max(_top, bucket);
        }

        /// <summary>An index of the highest non-empty priority, or −1 when empty.</summary>
        public int Pop()
        {
            while (_top >= 0 && _head[_top] < 0)
            {
                _top--;
            }

            if (_top < 0)
            {
                return -1;
            }

            var index = _head[_top];
            _head[_top] = _next[index];
            return index;
        }
    }
}
