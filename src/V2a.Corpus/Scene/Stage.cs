using SkiaSharp;

namespace V2a.Corpus.Scene;

/// <summary>What the ground is: it sets how footsteps and rolling sound and how the floor looks.</summary>
public enum Floor
{
    Wood,
    Tile,
    Stone,
    Carpet,
    Grass,
    Gravel,
    Sand,
}

/// <summary>A tree or a tuft of grass that sways with the wind (stage coordinates, base point).</summary>
public sealed record Plant(bool IsTree, double X, double BaseY, double Height, SKColor Color, SKColor Trunk, double Phase);

/// <summary>A rectangle on the back wall or in the sky: window, picture, cloud, hill.</summary>
public sealed record Decoration(string Kind, double X, double Y, double W, double H, SKColor Color, SKColor Accent);

/// <summary>
/// The set: indoors (a wall and a floor) or outdoors (sky and ground), its colours, floor, plants and
/// decorations. Stage coordinates are fractions of the frame at rest: x right, y down, both in [0, 1].
/// </summary>
public sealed class Stage
{
    public required bool Outdoor { get; init; }

    /// <summary>Where the wall meets the floor, or the sky the ground (stage y).</summary>
    public required double HorizonY { get; init; }

    public required SKColor Top { get; init; }

    public required SKColor Bottom { get; init; }

    public required SKColor Ground { get; init; }

    public required SKColor GroundAccent { get; init; }

    public required Floor Floor { get; init; }

    /// <summary>Sky kind or wall pattern ("day", "dusk", "overcast", "night"; "plain", "stripes", "dots").</summary>
    public required string Look { get; init; }

    public required IReadOnlyList<Plant> Plants { get; init; }

    public required IReadOnlyList<Decoration> Decorations { get; init; }

    /// <summary>Seed for the floor's texture details (speckles, plank seams), fixed per clip.</summary>
    public required ulong TextureSeed { get; init; }

    /// <summary>Size of an object whose base is at stage y <paramref name="baseY"/>: nearer (lower) is bigger.</summary>
    public double ScaleAt(double baseY) => 0.55 + (0.75 * Math.Clamp((baseY - HorizonY) / (1 - HorizonY), 0, 1));

    /// <summary>Words for captions: "on a wooden floor", "in a grassy field".</summary>
    public string Where(Rng rng) => Floor switch
    {
        Floor.Wood => rng.Pick(["on a wooden floor", "in a room with a wooden floor", "on wooden floorboards"]),
        Floor.Tile => rng.Pick(["on a tiled floor", "in a tiled room", "on floor tiles"]),
        Floor.Stone => rng.Pick<string>(Outdoor ? ["on a paved square", "on stone paving", "in a paved courtyard"] : ["on a stone floor", "in a room with a stone floor"]),
        Floor.Carpet => rng.Pick(["in a carpeted room", "on a carpet", "in a living room"]),
        Floor.Grass => rng.Pick(["in a grassy field", "on a lawn", "in a meadow", "in a garden"]),
        Floor.Gravel => rng.Pick(["on a gravel path", "on gravel", "in a gravel yard"]),
        Floor.Sand => rng.Pick(["on sandy ground", "on a beach", "in the sand"]),
        _ => "",
    };

    /// <summary>Floor words as an adjective phrase for impacts ("the wooden floor").</summary>
    public string FloorNoun => Floor switch
    {
        Floor.Wood => "the wooden floor",
        Floor.Tile => "the tiled floor",
        Floor.Stone => Outdoor ? "the paving" : "the stone floor",
        Floor.Carpet => "the carpet",
        Floor.Grass => "the grass",
        Floor.Gravel => "the gravel",
        Floor.Sand => "the sand",
        _ => "the ground",
    };

    public static Stage Sample(Rng rng, bool outdoor, bool needsPlants)
    {
        var horizon = rng.Uniform(0.36, 0.56);
        var decorations = new List<Decoration>();
        var plants = new List<Plant>();
        SKColor top, bottom, ground, accent;
        Floor floor;
        string look;
        if (outdoor)
        {
            look = rng.Pick(["day", "day", "dusk", "overcast", "night"]);
            var skyHue = look switch
            {
                "day" => rng.Uniform(190, 225),
                "dusk" => rng.Uniform(0, 360),
                "overcast" => rng.Uniform(0, 360),
                _ => rng.Uniform(200, 260),
            };
            (top, bottom) = look switch
            {
                "day" => (Hsv(skyHue, rng.Uniform(0.4, 0.8), rng.Uniform(0.75, 0.95)), Hsv(skyHue, rng.Uniform(0.1, 0.35), rng.Uniform(0.9, 1))),
                "dusk" => (Hsv(skyHue, rng.Uniform(0.4, 0.7), rng.Uniform(0.35, 0.6)), Hsv((skyHue + rng.Uniform(20, 60)) % 360, rng.Uniform(0.5, 0.8), rng.Uniform(0.8, 1))),
                "overcast" => (Hsv(skyHue, rng.Uniform(0, 0.12), rng.Uniform(0.55, 0.75)), Hsv(skyHue, rng.Uniform(0, 0.1), rng.Uniform(0.75, 0.9))),
                _ => (Hsv(skyHue, rng.Uniform(0.5, 0.8), rng.Uniform(0.08, 0.2)), Hsv(skyHue, rng.Uniform(0.3, 0.6), rng.Uniform(0.2, 0.35))),
            };
            floor = rng.Pick([Floor.Grass, Floor.Grass, Floor.Gravel, Floor.Sand, Floor.Stone]);
            (ground, accent) = floor switch
            {
                Floor.Grass => (Hsv(rng.Uniform(60, 150), rng.Uniform(0.35, 0.75), rng.Uniform(0.35, 0.7)), Hsv(rng.Uniform(60, 150), rng.Uniform(0.4, 0.8), rng.Uniform(0.25, 0.55))),
                Floor.Gravel => (Hsv(rng.Uniform(20, 60), rng.Uniform(0.05, 0.25), rng.Uniform(0.45, 0.7)), Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.2), rng.Uniform(0.3, 0.8))),
                Floor.Sand => (Hsv(rng.Uniform(30, 55), rng.Uniform(0.25, 0.55), rng.Uniform(0.7, 0.92)), Hsv(rng.Uniform(25, 50), rng.Uniform(0.3, 0.6), rng.Uniform(0.55, 0.8))),
                _ => (Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.25), rng.Uniform(0.45, 0.75)), Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.2), rng.Uniform(0.3, 0.5))),
            };
            var hills = rng.Int(0, 3);
            for (var i = 0; i < hills; i++)
            {
                decorations.Add(new Decoration("hill", rng.Uniform(0, 1), horizon, rng.Uniform(0.3, 0.8), rng.Uniform(0.04, 0.14),
                    Hsv(rng.Uniform(0, 360), rng.Uniform(0.1, 0.5), rng.Uniform(0.3, 0.7)), SKColors.Transparent));
            }

            var clouds = look == "night" ? 0 : rng.Int(0, 4);
            for (var i = 0; i < clouds; i++)
            {
                decorations.Add(new Decoration("cloud", rng.Uniform(0, 1), rng.Uniform(0.05, horizon - 0.1), rng.Uniform(0.1, 0.3), rng.Uniform(0.04, 0.08),
                    Hsv(0, 0, rng.Uniform(0.8, 1)), SKColors.Transparent));
            }

            if (rng.Chance(0.5))
            {
                var moon = look == "night";
                decorations.Add(new Decoration(moon ? "moon" : "sun", rng.Uniform(0.1, 0.9), rng.Uniform(0.06, horizon - 0.12), rng.Uniform(0.04, 0.08), 0,
                    moon ? Hsv(rng.Uniform(40, 60), 0.1, 0.95) : Hsv(rng.Uniform(35, 60), rng.Uniform(0.3, 0.8), 1), SKColors.Transparent));
            }

            if (rng.Chance(0.3))
            {
                decorations.Add(new Decoration("house", rng.Uniform(0.05, 0.95), horizon, rng.Uniform(0.15, 0.3), rng.Uniform(0.12, 0.25),
                    Hsv(rng.Uniform(0, 360), rng.Uniform(0.1, 0.6), rng.Uniform(0.4, 0.9)), Hsv(rng.Uniform(0, 360), rng.Uniform(0.3, 0.7), rng.Uniform(0.3, 0.6))));
            }

            var trees = needsPlants ? rng.Int(1, 3) : rng.Int(0, 2);
            for (var i = 0; i < trees; i++)
            {
                var x = rng.Chance(0.5) ? rng.Uniform(0.02, 0.2) : rng.Uniform(0.8, 0.98);
                plants.Add(new Plant(true, x, horizon + rng.Uniform(0.0, 0.08), rng.Uniform(0.25, 0.45),
                    Hsv(rng.Uniform(70, 160), rng.Uniform(0.4, 0.8), rng.Uniform(0.25, 0.6)), Hsv(rng.Uniform(15, 35), rng.Uniform(0.3, 0.6), rng.Uniform(0.2, 0.4)),
                    rng.Uniform(0, 6.28)));
            }

            if (floor == Floor.Grass || needsPlants)
            {
                var tufts = needsPlants ? rng.Int(14, 26) : rng.Int(0, 14);
                for (var i = 0; i < tufts; i++)
                {
                    plants.Add(new Plant(false, rng.Uniform(0, 1), rng.Uniform(horizon + 0.02, 1.0), rng.Uniform(0.04, 0.09),
                        Hsv(rng.Uniform(60, 150), rng.Uniform(0.4, 0.8), rng.Uniform(0.3, 0.7)), SKColors.Transparent, rng.Uniform(0, 6.28)));
                }
            }
        }
        else
        {
            look = rng.Pick(["plain", "plain", "stripes", "dots", "panels"]);
            var wallHue = rng.Uniform(0, 360);
            top = Hsv(wallHue, rng.Uniform(0.05, 0.6), rng.Uniform(0.35, 0.95));
            bottom = Hsv((wallHue + rng.Uniform(-30, 30) + 360) % 360, rng.Uniform(0.05, 0.6), rng.Uniform(0.3, 0.9));
            floor = rng.Pick([Floor.Wood, Floor.Wood, Floor.Tile, Floor.Stone, Floor.Carpet]);
            (ground, accent) = floor switch
            {
                Floor.Wood => (Hsv(rng.Uniform(15, 45), rng.Uniform(0.3, 0.7), rng.Uniform(0.3, 0.8)), Hsv(rng.Uniform(15, 40), rng.Uniform(0.4, 0.8), rng.Uniform(0.2, 0.5))),
                Floor.Tile => (Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.5), rng.Uniform(0.5, 0.95)), Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.6), rng.Uniform(0.2, 0.8))),
                Floor.Carpet => (Hsv(rng.Uniform(0, 360), rng.Uniform(0.2, 0.7), rng.Uniform(0.25, 0.7)), Hsv(rng.Uniform(0, 360), rng.Uniform(0.2, 0.7), rng.Uniform(0.2, 0.6))),
                _ => (Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.15), rng.Uniform(0.4, 0.7)), Hsv(rng.Uniform(0, 360), rng.Uniform(0, 0.15), rng.Uniform(0.25, 0.5))),
            };
            var items = rng.Int(0, 3);
            for (var i = 0; i < items; i++)
            {
                var kind = rng.Pick(["window", "picture", "picture", "shelf"]);
                var w = kind == "shelf" ? rng.Uniform(0.15, 0.3) : rng.Uniform(0.1, 0.22);
                var h = kind == "shelf" ? 0.02 : rng.Uniform(0.08, 0.18);
                decorations.Add(new Decoration(kind, rng.Uniform(0.1, 0.9), rng.Uniform(0.08, Math.Max(0.1, horizon - h - 0.05)), w, h,
                    Hsv(rng.Uniform(0, 360), rng.Uniform(0.2, 0.8), rng.Uniform(0.3, 0.9)), Hsv(rng.Uniform(0, 360), rng.Uniform(0.2, 0.8), rng.Uniform(0.3, 0.9))));
            }
        }

        return new Stage
        {
            Outdoor = outdoor,
            HorizonY = horizon,
            Top = top,
            Bottom = bottom,
            Ground = ground,
            GroundAccent = accent,
            Floor = floor,
            Look = look,
            Plants = plants,
            Decorations = decorations,
            TextureSeed = rng.NextULong(),
        };
    }

    /// <summary>A colour from hue (degrees), saturation and value in [0, 1].</summary>
    public static SKColor Hsv(double h, double s, double v) => SKColor.FromHsv((float)(h % 360), (float)(s * 100), (float)(v * 100));
}
