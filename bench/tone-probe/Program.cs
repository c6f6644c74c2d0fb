using System.Text.Json;
using NWaves.Transforms;
using TorchSharp;
using V2a;
using V2a.Media;
using V2a.Model;
using V2a.Model.Audio;

// Tone probe: do the generated tonal sounds ring? For every on-screen event of a tonal class (the impacts' materials,
// bells, drips, ticks, knocks, keyboard notes) in the clips of GENERATED (video or audio files named by clip id), the
// share of the energy 60-300 ms after the event's start (its ring, after the attack) that lies in the 8 strongest
// bins of a 1024-point spectrum between 200 Hz and 7 kHz (a pure tone: ~90 %; noise or a click: a few %), averaged
// over the frames that sound, in the real audio, the real audio through the model's log-mel and Griffin-Lim (what the
// vocoder lets through), and the generated audio; and the ring's level against the attack's (energy 100-300 ms vs
// 0-40 ms). Usage (run.sh prepares GENERATED): tone-probe CORPUS GENERATED
TorchRuntime.Initialise();
var tonal = new HashSet<string> { "impact_rubber", "impact_wood", "impact_metal", "impact_stone", "impact_glass", "bell", "water_drip", "clock_tick", "door_knock", "keyboard_music" };
var settings = AudioSettings.Default;
var rate = settings.SampleRate;
const int N = 1024, Hop = 256;
var fft = new RealFft(N);
var window = Enumerable.Range(0, N).Select(i => (float)(0.5 - (0.5 * Math.Cos(2 * Math.PI * i / N)))).ToArray();
using var front = new MelSpectrogram(settings);
using var vocoder = new GriffinLimVocoder(settings);

var meta = File.ReadLines(Path.Combine(args[0], "meta.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => e.GetProperty("id").GetString()!);
var rows = new List<(string Class, double Real, double Vocoded, double Generated, double RingReal, double RingGenerated)>();
foreach (var file in Directory.GetFiles(args[1]).Where(f => Path.GetExtension(f) is ".mp4" or ".wav" or ".flac").Order())
{
    var id = Path.GetFileNameWithoutExtension(file);
    var real = AudioReader.ReadAll(Path.Combine(args[0], "clips", id + ".flac"), rate);
    var generated = AudioReader.ReadAll(file, rate);
    var vocoded = Vocode(real);
    foreach (var e in meta[id].GetProperty("events").EnumerateArray())
    {
        var cls = e.GetProperty("class").GetString()!;
        var t = e.GetProperty("t_start").GetDouble();
        if (!e.GetProperty("on_screen").GetBoolean() || !tonal.Contains(cls) || t + 0.3 > Math.Min(real.Length, generated.Length) / (double)rate)
        {
            continue;
        }

        rows.Add((cls, Tonality(real, t), Tonality(vocoded, t), Tonality(generated, t), Ring(real, t), Ring(generated, t)));
    }
}

Console.WriteLine($"{rows.Count} on-screen events of tonal classes; medians: ring's energy in its 8 strongest bins (%) real / vocoded real / generated; ring level vs attack (dB) real / generated");
foreach (var g in rows.GroupBy(r => r.Class).OrderBy(g => g.Key).Append(rows.GroupBy(_ => "all").Single()))
{
    Console.WriteLine($"{g.Key,-15} {g.Count(),4}   {Median(g.Select(r => r.Real)),5:0.0} / {Median(g.Select(r => r.Vocoded)),5:0.0} / {Median(g.Select(r => r.Generated)),5:0.0}   {Median(g.Select(r => r.RingReal)),7:0.0} / {Median(g.Select(r => r.RingGenerated)),6:0.0}");
}

Console.WriteLine($"events with over half the ring's energy in 8 bins: real {rows.Count(r => r.Real > 50)}, vocoded real {rows.Count(r => r.Vocoded > 50)}, generated {rows.Count(r => r.Generated > 50)}");

float[] Vocode(float[] x)
{
    using var scope = torch.NewDisposeScope();
    return vocoder.Vocode(front.forward(torch.tensor(x).unsqueeze(0))).squeeze(0).data<float>().ToArray();
}

double Tonality(float[] x, double t)
{
    var (lo, hi) = (200 * N / rate, 7000 * N / rate);
    var shares = new List<double>();
    for (var start = (int)((t + 0.06) * rate) - (N / 2); start <= (int)((t + 0.30) * rate) - (N / 2); start += Hop)
    {
        var frame = new float[N];
        for (var i = 0; i < N; i++)
        {
            frame[i] = start + i >= 0 && start + i < x.Length ? x[start + i] * window[i] : 0;
        }

        var (re, im) = (new float[(N / 2) + 1], new float[(N / 2) + 1]);
        fft.Direct(frame, re, im);
        var power = Enumerable.Range(lo, hi - lo).Select(k => ((double)re[k] * re[k]) + ((double)im[k] * im[k])).ToArray();
        var total = power.Sum();
        if (total > 1e-9)
        {
            shares.Add(100 * power.OrderDescending().Take(8).Sum() / total);
        }
    }

    return shares.Count == 0 ? 0 : shares.Average();
}

double Ring(float[] x, double t) => 10 * Math.Log10(Energy(x, t + 0.10, t + 0.30) / Energy(x, t, t + 0.04));

double Energy(float[] x, double from, double to)
{
    var e = 1e-20;
    for (var i = Math.Max(0, (int)(from * rate)); i < Math.Min(x.Length, (int)(to * rate)); i++)
    {
        e += (double)x[i] * x[i];
    }

    return e / ((to - from) * rate);
}

static double Median(IEnumerable<double> v)
{
    var s = v.Order().ToArray();
    return s.Length == 0 ? double.NaN : s[s.Length / 2];
}
