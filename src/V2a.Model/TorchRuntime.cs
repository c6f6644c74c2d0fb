using System.Runtime.InteropServices;
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

            // OpenMP threads that spin while waiting make torch 10-16x slower whenever another process wants the
            // cores (measured here: Griffin-Lim on 8 s took 11-16 s instead of 0.3-1.0 s under load). libgomp reads
            // OMP_WAIT_POLICY when libtorch first loads, which is after this point, so set it in the native
            // environment (Environment.SetEnvironmentVariable does not reach native getenv). A user's value wins.
            if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null && !OperatingSystem.IsWindows())
            {
                _ = SetEnv("OMP_WAIT_POLICY", "PASSIVE", 0);
            }

            KeepLargeBlocks();

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

    /// <summary>
    /// glibc hands every block over 32 MB (its largest dynamic threshold) to mmap and back to the kernel when freed,
    /// so each sampling or training step maps its big activations afresh and the kernel zeroes them page by page:
    /// 150,000–200,000 page faults a second while training the default here, a third of the time spent in the kernel. Blocks
    /// up to 1 GiB then come from the heap and are reused, and up to 1 GiB free at its top stays mapped (the dataset
    /// and other larger tensors are still mapped on their own). A user's MALLOC_MMAP_THRESHOLD_ or
    /// MALLOC_TRIM_THRESHOLD_ wins; elsewhere than glibc nothing changes.
    /// </summary>
    private static void KeepLargeBlocks()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not null
            || Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is not null)
        {
            return;
        }

        try
        {
            _ = MallOpt(MmapThreshold, LargeBlockBytes);
            _ = MallOpt(TrimThreshold, LargeBlockBytes);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Not glibc (musl has no mallopt): its allocator's own behaviour stands.
        }
    }

    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int LargeBlockBytes = 1 << 30;

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code for one call at start-up
    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi)]
    private static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int MallOpt(int parameter, int value);
#pragma warning restore SYSLIB1054

    private static Exception Inner(Exception e) => e.InnerException is null ? e : Inner(e.InnerException);
}
