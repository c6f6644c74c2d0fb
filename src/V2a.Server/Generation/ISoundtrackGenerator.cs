using V2a.Engine;

namespace V2a.Server.Generation;

/// <summary>
/// What the server needs from the engine: one generation request in, candidates on disk out. The server calls
/// it from its worker slots (several at once when the concurrency is above 1), so an implementation must be
/// safe to call concurrently. <see cref="EngineGenerator"/> is the real one; tests register their own.
/// </summary>
public interface ISoundtrackGenerator
{
    /// <param name="options">The request; <see cref="GenerateOptions.OutputPath"/> is an existing, empty folder.</param>
    /// <param name="progress">Progress reports, stored with the job and shown on the page.</param>
    /// <param name="cancellationToken">Cancelled when the job is deleted or the server stops; stop soon and throw
    /// <see cref="OperationCanceledException"/>.</param>
    GenerateResult Generate(GenerateOptions options, IProgressSink progress, CancellationToken cancellationToken);
}
