namespace V2a;

/// <summary>
/// Progress of long work (decoding, sampling, training, corpus building). Libraries report through this;
/// the CLI draws a bar on a terminal or plain lines otherwise, the server stores it with the job.
/// </summary>
public interface IProgressSink
{
    /// <param name="stage">What is being done, a few words ("sampling", "training").</param>
    /// <param name="done">Units finished so far.</param>
    /// <param name="total">Units in all, or 0 when unknown.</param>
    /// <param name="detail">Extra text such as "loss 0.412, 8.9 samples/s", or null.</param>
    void Report(string stage, long done, long total, string? detail = null);
}

/// <summary>Discards progress.</summary>
public sealed class NullProgress : IProgressSink
{
    public static NullProgress Instance { get; } = new();

    public void Report(string stage, long done, long total, string? detail = null)
    {
    }
}
