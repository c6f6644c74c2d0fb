using System.Collections.Concurrent;
using V2a.Engine;

namespace V2a.Server.Generation;

/// <summary>
/// The real generator: <see cref="SoundtrackEngine"/>s over one model package. An engine loads its model once and
/// is not safe to call from two threads, so each concurrent job takes an engine of its own from a pool (at most
/// one per worker slot; the first is loaded at construction, so a bad --model fails at start-up, not at the
/// first job).
/// </summary>
public sealed class EngineGenerator : ISoundtrackGenerator, IDisposable
{
    private readonly string? _modelDir;
    private readonly ConcurrentBag<SoundtrackEngine> _idle = [];
    private readonly List<SoundtrackEngine> _all = [];
    private readonly Lock _gate = new();

    public EngineGenerator(string? modelDir)
    {
        _modelDir = modelDir;
        var first = new SoundtrackEngine(modelDir);
        _all.Add(first);
        _idle.Add(first);
    }

    public GenerateResult Generate(GenerateOptions options, IProgressSink progress, CancellationToken cancellationToken)
    {
        var engine = Take();
        try
        {
            return engine.Generate(options, progress, cancellationToken);
        }
        finally
        {
            _idle.Add(engine);
        }
    }

    private SoundtrackEngine Take()
    {
        if (_idle.TryTake(out var engine))
        {
            return engine;
        }

        // More jobs at once than engines so far (the server runs at most --concurrency): load another.
        engine = new SoundtrackEngine(_modelDir);
        lock (_gate)
        {
            _all.Add(engine);
        }

        return engine;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var engine in _all)
            {
                engine.Dispose();
            }

            _all.Clear();
        }
    }
}
