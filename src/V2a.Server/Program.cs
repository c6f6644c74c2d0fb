using V2a;
using V2a.Server;

// Standalone entry point (dotnet V2a.Server.dll --urls=URL --V2a:Data=DIR ...); 'v2a serve' is the usual way in.
try
{
    var app = ServerHost.CreateApp(args);
    app.Run();
    return ExitCodes.Ok;
}
catch (V2aException e)
{
    Console.Error.WriteLine($"v2a server: {e.Message}");
    return e.ExitCode;
}
