using TorchSharp;
using static TorchSharp.torch;

namespace V2a.Model;

/// <summary>
/// Process-wide TorchSharp setup: the device (CPU here; "cuda" where a CUDA build of libtorch is installed)
/// and the thread count, chosen once and deliberately (the default oversubscribes a 2-core machine).
/// </summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _initialised;

    /// <summary>Sets threads from V2A_THREADS, else all cores. Idempotent.</summary>
    public static void Initialise(int? threads = null)
    {
        lock (Gate)
        {
            if (_initialised)
            {
                return;
            }

            var n = threads ?? (int.TryParse(Environment.GetEnvironmentVariable("V2A_THREADS"), out var t) && t > 0
                ? t
                : Environment.ProcessorCount);
            try
            {
                torch.set_num_threads(n);
                torch.set_num_interop_threads(1);
            }
            catch (Exception e) when (e is TypeInitializationException or DllNotFoundException)
            {
                throw new MissingDependencyException("TorchSharp", $"native libraries failed to load ({Inner(e).Message}); run ./setup");
            }

            _initialised = true;
        }
    }

    /// <summary>The device from V2A_DEVICE ("cpu" default, "cuda", "cuda:1").</summary>
    public static Device Device => new(Environment.GetEnvironmentVariable("V2A_DEVICE") ?? "cpu");

    /// <summary>
    /// Exercises the operations v2a relies on (stft/istft round trip, attention, AdamW step, safetensors
    /// save/load) and returns a one-line summary; throws if any fails.
    /// </summary>
    public static string SelfCheck()
    {
        Initialise();
        using var scope = torch.NewDisposeScope();
        var settings = AudioSettings.Default;
        var x = torch.sin(torch.arange(settings.SampleRate, dtype: ScalarType.Float32) * (2 * Math.PI * 440 / settings.SampleRate));
        var window = torch.hann_window(settings.WinLength);
        var spec = torch.stft(x, settings.NFft, settings.HopLength, settings.WinLength, window, center: true, return_complex: true);
        var back = torch.istft(spec, settings.NFft, settings.HopLength, settings.WinLength, window, center: true, length: x.shape[0]);
        var err = (back - x).abs().max().item<float>();
        if (err > 1e-4f)
        {
            throw new InvalidOperationException($"stft/istft round trip error {err}");
        }

        var q = torch.randn(1, 2, 8, 16);
        var att = nn.functional.scaled_dot_product_attention(q, q, q);
        var lin = nn.Linear(4, 4);
        var opt = optim.AdamW(lin.parameters(), 1e-3);
        lin.call(torch.randn(2, 4)).pow(2).mean().backward();
        opt.step();
        var path = Path.Combine(Path.GetTempPath(), $"v2a-selfcheck-{Guid.NewGuid():N}.safetensors");
        try
        {
            TorchSharp.PyBridge.PyBridgeModuleExtensions.save_safetensors(lin, path);
            var lin2 = nn.Linear(4, 4);
            TorchSharp.PyBridge.PyBridgeModuleExtensions.load_safetensors(lin2, path);
            if (!lin2.weight!.allclose(lin.weight!))
            {
                throw new InvalidOperationException("safetensors round trip changed the weights");
            }
        }
        finally
        {
            File.Delete(path);
        }

        return $"TorchSharp ok: libtorch {torch.__version__}, device {Device}, {torch.get_num_threads()} threads; stft/istft, attention {att.shape[2]}x{att.shape[3]}, AdamW, safetensors";
    }

    private static Exception Inner(Exception e) => e.InnerException is null ? e : Inner(e.InnerException);
}
