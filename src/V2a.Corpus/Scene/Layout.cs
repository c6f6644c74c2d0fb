namespace V2a.Corpus.Scene;

/// <summary>What every source's planner needs: the set, the clip length and the audio rate (events snap to its samples).</summary>
public sealed record PlanContext(Stage Stage, double Seconds, int SampleRate)
{
    /// <summary>Gravity in stage units per second² (a frame is about two metres tall, so about g/2).</summary>
    public const double Gravity = 4.5;
}

/// <summary>Where a source stands: stage x of its centre and y of its base; <see cref="Scale"/> follows depth.</summary>
public sealed record Slot(double X, double BaseY, double Scale);
