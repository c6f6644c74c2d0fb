using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using V2a.Server.Api;
using V2a.Server.Generation;
using V2a.Server.Jobs;
using V2a.Server.Security;

namespace V2a.Server;

/// <summary>
/// Builds the server: the page, the API, the job queue and its worker slots. <c>v2a serve</c>, the standalone
/// entry point and the tests all start it through <see cref="CreateApp"/>, so they run the same code.
/// </summary>
public static class ServerHost
{
    /// <summary>
    /// Builds the application (not started). <paramref name="options"/> null = read from configuration
    /// (<see cref="ServerOptions.FromConfiguration"/>). <paramref name="configureServices"/> runs after the
    /// defaults, so it can replace them, e.g. register another <see cref="ISoundtrackGenerator"/>.
    /// </summary>
    /// <exception cref="BadInputException">An option is unusable (a non-loopback address without a token, a data folder in use).</exception>
    public static WebApplication CreateApp(string[] args, ServerOptions? options = null, Action<IServiceCollection>? configureServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        options ??= ServerOptions.FromConfiguration(builder.Configuration);
        options.Validate();
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);

        // A failed start (address in use) is reported once by the caller, as one line, not as a logged stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        AddServices(builder.Services, options);
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();

        // Open the data folder now, so a folder in use or not writable is reported before anything listens.
        app.Services.GetRequiredService<DataFolder>();
        Configure(app);
        return app;
    }

    /// <summary>The server's services; the generator is the engine's unless another is registered after.</summary>
    public static void AddServices(IServiceCollection services, ServerOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(_ => new DataFolder(options.DataDir));
        services.AddSingleton(sp => new JobStore(sp.GetRequiredService<DataFolder>().DatabasePath));
        services.AddSingleton<JobQueue>();

        // The engine loads its model when the worker starts (a bad --model stops the start with one line); tests and
        // other hosts register their own generator after these defaults.
        services.TryAddSingleton<ISoundtrackGenerator>(_ => new EngineGenerator(options.ModelDir));
        services.AddHostedService<JobWorker>();
        services.AddSingleton<AccessGuard>();
        services.AddSingleton<CsrfGuard>();
        services.AddProblemDetails();
        services.AddOpenApi(OpenApiDescription.Configure);
        services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(15));
        if (options.Token is null)
        {
            // Loopback without a token: answer only requests addressed to this machine by name, so a web page on
            // another site cannot reach the server through DNS rebinding.
            var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", "[::1]" };
            foreach (var url in options.UrlList())
            {
                if (Uri.TryCreate(url, UriKind.Absolute, out var uri))
                {
                    hosts.Add(uri.Host);
                }
            }

            services.Configure<HostFilteringOptions>(h =>
            {
                h.AllowedHosts = [.. hosts];
                h.AllowEmptyHosts = false;
            });
        }
    }

    /// <summary>The request pipeline and the endpoints.</summary>
    public static void Configure(WebApplication app)
    {
        var page = new EmbeddedFileProvider(typeof(ServerHost).Assembly, "page");
        app.Use(SecurityHeaders);
        app.Use(ApiErrors);
        app.UseStatusCodePages();
        app.Use((context, next) => context.RequestServices.GetRequiredService<AccessGuard>().InvokeAsync(context, next));
        app.Use((context, next) => context.RequestServices.GetRequiredService<CsrfGuard>().InvokeAsync(context, next));
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = page,
            OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "no-cache",
        });

        app.MapGet("/", () => Page(page, "index.html")).ExcludeFromDescription();
        app.MapGet("/login", () => Page(page, "login.html")).ExcludeFromDescription();
        app.MapPost("/login", Login).ExcludeFromDescription().DisableAntiforgery();
        app.MapPost("/logout", (HttpContext context) =>
        {
            context.Response.Cookies.Delete(AccessGuard.CookieName);
            return Results.Redirect("/login");
        }).ExcludeFromDescription();
        app.MapOpenApi("/openapi/{documentName}.json");
        JobsApi.Map(app);
    }

    private static IResult Page(IFileProvider page, string name) =>
        Results.Stream(page.GetFileInfo(name).CreateReadStream(), "text/html; charset=utf-8");

    private static async Task<IResult> Login(HttpContext context, AccessGuard access)
    {
        if (!access.Required)
        {
            return Results.Redirect("/");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        if (!access.CheckToken(form["token"].ToString()))
        {
            // Slows down guessing; the token itself should be long (see docs/server.md).
            await Task.Delay(TimeSpan.FromMilliseconds(500), context.RequestAborted);
            return Results.Redirect("/login#failed");
        }

        context.Response.Cookies.Append(AccessGuard.CookieName, access.SessionValue(), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            MaxAge = TimeSpan.FromDays(30),
        });
        return Results.Redirect("/");
    }

    private static Task SecurityHeaders(HttpContext context, Func<Task> next)
    {
        var h = context.Response.Headers;
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";
        h.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
        return next();
    }

    /// <summary>Turns an <see cref="ApiException"/> (and a user error from the media layer) into a problem response with one line.</summary>
    private static async Task ApiErrors(HttpContext context, Func<Task> next)
    {
        try
        {
            await next();
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await WriteProblem(context, e.StatusCode, e.Message);
        }
        catch (BadInputException e) when (!context.Response.HasStarted)
        {
            await WriteProblem(context, StatusCodes.Status400BadRequest, e.Reason);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await WriteProblem(context, e.StatusCode, e.Message);
        }
    }

    private static async Task WriteProblem(HttpContext context, int status, string detail)
    {
        context.Response.Clear();
        if (status == StatusCodes.Status413PayloadTooLarge)
        {
            // The client may still be sending the rest of a huge body: do not keep reading it.
            context.Response.Headers.Connection = "close";
        }

        await Results.Problem(detail: detail, statusCode: status).ExecuteAsync(context);
    }

    /// <summary>The assembly's informational version, shown in the OpenAPI document.</summary>
    internal static string Version =>
        typeof(ServerHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0";
}
