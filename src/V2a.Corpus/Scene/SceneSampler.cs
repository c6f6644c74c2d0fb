using V2a.Corpus.Sources;
using V2a.Corpus.Synth;

namespace V2a.Corpus.Scene;

/// <summary>
/// Samples a scene from a clip seed: which classes sound (1–4 distinct, or a still scene), indoors or out, the
/// set, camera, light, where each source stands, which are heard but not seen, and which silent props stand
/// around. Pure and fast (no drawing, no audio), so balance and captions can be checked over thousands of clips.
/// </summary>
public static class SceneSampler
{
    /// <summary>Probabilities of 1, 2, 3, 4 sounding sources in a non-still scene.</summary>
    private static readonly double[] SourceCounts = [0.3, 0.3, 0.25, 0.15];

    /// <summary>Classes that need the outdoors (sky, road, plants).</summary>
    private static readonly HashSet<string> OutdoorOnly = [SoundClasses.Rain, SoundClasses.Wind, SoundClasses.Engine, SoundClasses.Bird];

    /// <summary>Classes that may be heard without being seen.</summary>
    private static readonly HashSet<string> MayBeOffScreen =
    [
        .. SoundClasses.Impacts, SoundClasses.Footsteps, SoundClasses.Engine, SoundClasses.Bird, SoundClasses.ClockTick, SoundClasses.Bell,
        SoundClasses.DoorKnock, SoundClasses.Explosion, SoundClasses.KeyboardMusic, SoundClasses.Speech, SoundClasses.WaterDrip, SoundClasses.Fire,
    ];

    /// <summary>Classes that can stand around silently as props.</summary>
    private static readonly string[] PropClasses =
    [
        .. SoundClasses.Impacts, SoundClasses.Rolling, SoundClasses.Footsteps, SoundClasses.Engine, SoundClasses.Fire, SoundClasses.WaterDrip,
        SoundClasses.Bird, SoundClasses.ClockTick, SoundClasses.Bell, SoundClasses.DoorKnock, SoundClasses.KeyboardMusic, SoundClasses.Speech,
    ];

    /// <summary>Peak level range in dBFS of each class's stem before the mix gain: plausible relative loudness.</summary>
    private static (double Lo, double Hi) LevelRange(string cls) => cls switch
    {
        SoundClasses.Explosion => (-4, -1),
        SoundClasses.Bell or SoundClasses.DoorKnock => (-10, -4),
        SoundClasses.ImpactWood or SoundClasses.ImpactMetal or SoundClasses.ImpactGlass or SoundClasses.ImpactRubber or SoundClasses.ImpactStone => (-12, -5),
        SoundClasses.Speech => (-9, -4),
        SoundClasses.Engine => (-14, -7),
        SoundClasses.KeyboardMusic or SoundClasses.Bird or SoundClasses.WaterDrip => (-14, -7),
        SoundClasses.Footsteps or SoundClasses.Fire => (-16, -9),
        SoundClasses.Rolling => (-18, -11),
        SoundClasses.Rain or SoundClasses.Wind => (-20, -11),
        SoundClasses.ClockTick => (-20, -12),
        _ => (-18, -8),
    };

    /// <summary>The scene of clip <paramref name="id"/> with seed <paramref name="seed"/>, restricted to <paramref name="classes"/> (null: all).</summary>
    public static FoleyScene Sample(long seed, string id, double seconds, IReadOnlyList<string>? classes = null, int? sampleRate = null)
    {
        var sr = sampleRate ?? AudioSettings.Default.SampleRate;
        var allowed = classes ?? SoundClasses.All;
        var sounding = SoundClasses.Sounding.Where(allowed.Contains).ToList();
        var silenceAllowed = allowed.Contains(SoundClasses.Silence);
        var rng = new Rng((ulong)seed);
        var pick = rng.Fork("classes");

        // Balance: a still scene as often as any one class appears, i.e. p = E[k] / (|S| + E[k]).
        var maxK = Math.Min(SourceCounts.Length, sounding.Count);
        var weights = SourceCounts.Take(maxK).ToArray();
        var meanK = weights.Select((w, i) => w * (i + 1)).Sum() / Math.Max(1e-9, weights.Sum());
        var pStill = sounding.Count == 0 ? 1 : silenceAllowed ? meanK / (sounding.Count + meanK) : 0;
        var still = pick.Chance(pStill);
        var chosen = new List<string>();
        if (!still)
        {
            var k = pick.PickWeighted(weights) + 1;
            var pool = sounding.ToList();
            pick.Shuffle(pool);
            chosen = pool.Take(k).ToList();
        }

        var outdoor = chosen.Any(OutdoorOnly.Contains) || (!chosen.Contains(SoundClasses.ClockTick) && rng.Fork("outdoor").Chance(0.5));
        var stage = Stage.Sample(rng.Fork("stage"), outdoor, chosen.Contains(SoundClasses.Wind));
        var ctx = new PlanContext(stage, seconds, sr);
        var layout = new Layout(stage, rng.Fork("layout"));
        var sources = new List<Source>();
        var counters = new Dictionary<string, int>();
        var srcRng = rng.Fork("sources");
        var vis = rng.Fork("visibility");
        foreach (var cls in chosen)
        {
            var visible = !(MayBeOffScreen.Contains(cls) && vis.Chance(0.15));
            var s = Make(cls, true, visible, srcRng.Fork(cls), ctx, layout, counters);
            var (lo, hi) = LevelRange(cls);
            s.LevelDb = vis.Uniform(lo, hi) - (visible ? 0 : 6);
            sources.Add(s);
        }

        // Silent props: seen, never heard. Every still scene has some; other scenes sometimes.
        var propRng = rng.Fork("props");
        var props = still ? propRng.Int(1, 3) : propRng.Chance(0.45) ? propRng.Int(1, 2) : 0;
        for (var i = 0; i < props; i++)
        {
            var cls = propRng.Pick(PropClasses);
            sources.Add(Make(cls, false, true, propRng.Fork(i), ctx, layout, counters));
        }

        return new FoleyScene
        {
            Id = id,
            Seed = seed,
            Seconds = seconds,
            Stage = stage,
            Camera = new Camera(rng.Fork("camera"), seconds),
            Lighting = new Lighting(rng.Fork("light"), seconds),
            Sources = sources,
            CaptionSeed = rng.Fork("captions").NextULong(),
        };
    }

    private static Source Make(string cls, bool sounding, bool visible, Rng rng, PlanContext ctx, Layout layout, Dictionary<string, int> counters)
    {
        string Id(string stem)
        {
            counters[stem] = counters.GetValueOrDefault(stem) + 1;
            return $"{stem}-{counters[stem]}";
        }

        switch (cls)
        {
            case SoundClasses.ImpactWood:
                return new DroppedObject(Id("object"), Material.Wood, rng, ctx, layout.Ground(0.6), sounding, visible);
            case SoundClasses.ImpactMetal:
                return new DroppedObject(Id("object"), Material.Metal, rng, ctx, layout.Ground(0.6), sounding, visible);
            case SoundClasses.ImpactGlass:
                return new DroppedObject(Id("object"), Material.Glass, rng, ctx, layout.Ground(0.6), sounding, visible);
            case SoundClasses.ImpactRubber:
                return new DroppedObject(Id("ball"), Material.Rubber, rng, ctx, layout.Ground(0.6), sounding, visible);
            case SoundClasses.ImpactStone:
                return new DroppedObject(Id("stone"), Material.Stone, rng, ctx, layout.Ground(0.6), sounding, visible);
            case SoundClasses.Rolling:
                return new RollingBall(Id("ball"), rng, ctx, layout.Lane(), sounding, visible);
            case SoundClasses.Footsteps:
                return new Walker(Id("walker"), rng, ctx, layout.Lane(), sounding, visible);
            case SoundClasses.Engine:
                return new Car(Id("car"), rng, ctx, layout.Lane(), sounding, visible);
            case SoundClasses.Rain:
                return new Rain(Id("rain"), rng, ctx);
            case SoundClasses.Wind:
                return new Wind(Id("wind"), rng, ctx);
            case SoundClasses.Fire:
                return new Campfire(Id("fire"), rng, ctx, layout.Ground(0.5), sounding, visible);
            case SoundClasses.WaterDrip:
                return new Drips(Id("water"), rng, ctx, layout.Ground(0.5), sounding, visible);
            case SoundClasses.Bird:
                return new Bird(Id("bird"), rng, ctx, layout.Ground(0.4), sounding, visible);
            case SoundClasses.ClockTick:
                return new PendulumClock(Id("clock"), rng, ctx, layout.Wall(), sounding, visible);
            case SoundClasses.Bell:
                return new StruckBell(Id("bell"), rng, ctx, layout.Wall(), sounding, visible);
            case SoundClasses.DoorKnock:
                return new Door(Id("door"), rng, ctx, layout.Wall(), sounding, visible);
            case SoundClasses.Explosion:
                return new Blast(Id("blast"), rng, ctx, layout.Far(), visible);
            case SoundClasses.KeyboardMusic:
                return new Keyboard(Id("keyboard"), rng, ctx, layout.Front(), sounding, visible);
            case SoundClasses.Speech:
                return new Talker(Id("person"), rng, ctx, layout.Front(), sounding, visible);
            default:
                throw new ArgumentOutOfRangeException(nameof(cls), cls, "no source for this class");
        }
    }

    /// <summary>Hands out places so sources rarely cover each other: columns for standing things, depth lanes for movers.</summary>
    private sealed class Layout
    {
        private readonly Stage _stage;
        private readonly Rng _rng;
        private readonly List<double> _columns;
        private readonly List<double> _lanes;
        private int _column;
        private int _lane;

        public Layout(Stage stage, Rng rng)
        {
            _stage = stage;
            _rng = rng;
            _columns = [0.2, 0.4, 0.6, 0.8, 0.3, 0.7];
            rng.Shuffle(_columns);
            var h = stage.HorizonY;
            _lanes = [h + ((1 - h) * 0.35), h + ((1 - h) * 0.6), h + ((1 - h) * 0.85)];
            rng.Shuffle(_lanes);
        }

        private double NextColumn() => _columns[_column++ % _columns.Count] + _rng.Uniform(-0.04, 0.04);

        private Slot At(double x, double baseY) => new(x, baseY, _stage.ScaleAt(baseY));

        /// <summary>A standing place on the floor; <paramref name="depthBias"/> 0 = far, 1 = near.</summary>
        public Slot Ground(double depthBias)
        {
            var h = _stage.HorizonY;
            var y = h + ((1 - h) * Math.Clamp(_rng.Uniform(0.25, 0.9) * (0.6 + (0.4 * depthBias)) + 0.05, 0.2, 0.92));
            return At(NextColumn(), y);
        }

        /// <summary>A depth lane that a mover travels along.</summary>
        public Slot Lane() => At(_rng.Uniform(0.3, 0.7), _lanes[_lane++ % _lanes.Count] + _rng.Uniform(-0.03, 0.03));

        /// <summary>On the back wall (indoors) or standing far back (outdoors).</summary>
        public Slot Wall() => At(NextColumn(), _stage.Outdoor ? _stage.HorizonY + ((1 - _stage.HorizonY) * _rng.Uniform(0.2, 0.45)) : _stage.HorizonY);

        /// <summary>Far away near the horizon.</summary>
        public Slot Far() => At(_rng.Uniform(0.2, 0.8), _stage.HorizonY + _rng.Uniform(0.0, 0.08));

        /// <summary>Close to the camera at the bottom of the frame.</summary>
        public Slot Front() => At(NextColumn() * 0.6 + 0.2, _rng.Uniform(0.9, 0.98));
    }
}
