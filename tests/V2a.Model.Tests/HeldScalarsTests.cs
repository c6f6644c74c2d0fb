using TorchSharp;
using static TorchSharp.torch;

namespace V2a.Model.Tests;

public class HeldScalarsTests
{
    [Fact]
    public void Each_form_gives_exactly_what_its_operator_gives()
    {
        TorchRuntime.Initialise();
        using var scope = torch.NewDisposeScope();
        var a = torch.tensor(new[] { -1.5f, 0f, 0.25f, 3f });
        var b = torch.tensor(new[] { 2f, -0.5f, 1e-8f, 7f });

        Assert.Equal(new[] { 0.5f, -0.5f, 0.25000001f, 10f }, a.Plus(b).data<float>().ToArray());
        Assert.Equal(new[] { -0.5f, 1f, 1.25f, 4f }, a.Plus(1).data<float>().ToArray());
        Assert.Equal(new[] { -2f, -0.5f, -0.25f, 2.5f }, a.Minus(0.5).data<float>().ToArray());
        Assert.Equal(new[] { -3f, 0f, 0.5f, 6f }, a.Times(2).data<float>().ToArray());
        Assert.Equal(new[] { -0.75f, 0f, 0.125f, 1.5f }, a.DividedBy(2).data<float>().ToArray());
        Assert.Equal(new[] { 2.5f, 1f, 0.75f, -2f }, a.OneMinus().data<float>().ToArray());
        Assert.Equal(new[] { 0.1f, 0.1f, 0.25f, 3f }, a.AtLeast(0.1).data<float>().ToArray());
        Assert.Equal(new[] { -1.5f, 0f, 0.25f, 1f }, a.AtMost(1).data<float>().ToArray());
        Assert.Equal(new[] { true, true, false, false }, a.LessThan(0.1).data<bool>().ToArray());
        Assert.Equal(new[] { 2.25f, 0f, 0.0625f, 9f }, a.Squared().data<float>().ToArray());
        foreach (var (held, op) in new[] { (a.Plus(b), a + b), (a.Times(0.3), a * 0.3), (a.OneMinus(), 1 - a), (a.Plus(1e-3), a + 1e-3), (b.Squared(), b.square()) })
        {
            Assert.True(held.equal(op).all().item<bool>());
        }
    }

    [Fact]
    public void Squaring_survives_collections_forced_from_another_thread()
    {
        // Given a thread that forces garbage collections without pause (what a progress bar or a pipe reader can set off)
        TorchRuntime.Initialise();
        using var stop = new CancellationTokenSource();
        var collector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });

        // When a tensor is squared many times over
        var a = torch.tensor(new[] { -1.5f, 0f, 0.25f, 3f });
        try
        {
            for (var i = 0; i < 200_000; i++)
            {
                using var scope = torch.NewDisposeScope();
                _ = a.Squared();
            }
        }
        finally
        {
            stop.Cancel();
            collector.Wait();
            a.Dispose();
        }

        // Then no native Scalar was freed under an operation (the operator form, square(), fails here within seconds)
    }
}
