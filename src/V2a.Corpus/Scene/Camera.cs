using V2a.Corpus.Synth;

namespace V2a.Corpus.Scene;

/// <summary>
/// A slow pan and zoom with an optional hand-held wobble. The camera looks at stage point (cx, cy) with zoom z:
/// frame = (stage − c)·z + ½. Objects move on screen even when still in the world, so a model cannot equate
/// "something moved" with "something sounded".
/// </summary>
public sealed class Camera
{
    private readonly double _cx0, _cy0, _cx1, _cy1, _z0, _z1, _shake;
    private readonly SmoothCurve _shakeX, _shakeY;
    private readonly double _seconds;

    public Camera(Rng rng, double seconds)
    {
        _seconds = seconds;
        var moving = rng.Chance(0.6);
        _z0 = rng.Uniform(1.0, 1.15);
        _z1 = moving ? Math.Clamp(_z0 + rng.Uniform(-0.1, 0.1), 1.0, 1.2) : _z0;
        var m0 = 0.5 - (0.5 / _z0);
        var m1 = 0.5 - (0.5 / _z1);
        // Pan only as far as keeps the frame inside the stage.
        _cx0 = 0.5 + rng.Uniform(-m0, m0);
        _cy0 = 0.5 + rng.Uniform(-m0, m0);
        _cx1 = moving ? 0.5 + rng.Uniform(-m1, m1) : _cx0;
        _cy1 = moving ? 0.5 + rng.Uniform(-m1, m1) : _cy0;
        _shake = rng.Chance(0.35) ? rng.Uniform(0.002, 0.006) : 0;
        _shakeX = new SmoothCurve(rng.Fork("shake-x"), seconds, 0.3, -1, 1);
        _shakeY = new SmoothCurve(rng.Fork("shake-y"), seconds, 0.3, -1, 1);
    }

    /// <summary>Whether the camera moves at all (pan, zoom or wobble).</summary>
    public bool Moves => _cx0 != _cx1 || _cy0 != _cy1 || _z0 != _z1 || _shake > 0;

    /// <summary>The view at time t (seconds): centre and zoom; <paramref name="extraShake"/> in stage units adds a jolt (explosions).</summary>
    public (double Cx, double Cy, double Zoom) At(double t, double extraShake = 0)
    {
        var u = Math.Clamp(t / _seconds, 0, 1);
        var e = u * u * (3 - (2 * u));
        var amp = _shake + extraShake;
        var cx = _cx0 + ((_cx1 - _cx0) * e) + (amp * _shakeX.At(t * (extraShake > 0 ? 6 : 1)));
        var cy = _cy0 + ((_cy1 - _cy0) * e) + (amp * _shakeY.At(t * (extraShake > 0 ? 6 : 1)));
        return (cx, cy, _z0 + ((_z1 - _z0) * e));
    }

    /// <summary>Stage point → frame fractions at time t.</summary>
    public (double X, double Y) Project(double x, double y, double t, double extraShake = 0)
    {
        var (cx, cy, z) = At(t, extraShake);
        return (((x - cx) * z) + 0.5, ((y - cy) * z) + 0.5);
    }
}

/// <summary>Overall light: brightness, a colour cast, a vignette and, sometimes, slow changes (passing clouds).</summary>
public sealed class Lighting
{
    private readonly SmoothCurve? _drift;

    public Lighting(Rng rng, double seconds)
    {
        Brightness = rng.Uniform(0.7, 1.1);
        TintHue = rng.Uniform(0, 360);
        TintStrength = rng.Chance(0.5) ? rng.Uniform(0.05, 0.25) : 0;
        Vignette = rng.Chance(0.5) ? rng.Uniform(0.15, 0.5) : 0;
        _drift = rng.Chance(0.25) ? new SmoothCurve(rng.Fork("light"), seconds, rng.Uniform(0.8, 2.5), -0.15, 0.15) : null;
    }

    /// <summary>1 = as drawn; below darkens, above brightens.</summary>
    public double Brightness { get; }

    public double TintHue { get; }

    public double TintStrength { get; }

    public double Vignette { get; }

    public double BrightnessAt(double t) => Brightness * (1 + (_drift?.At(t) ?? 0));
}
