using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace V2a.Server.Security;

/// <summary>
/// The access token. When the server has one (required off loopback), every request must carry it: API clients
/// as <c>Authorization: Bearer TOKEN</c>, the page as a session cookie that the login form sets. The cookie holds
/// an HMAC of the token, not the token. Without a token (loopback only) every request passes; the Host header
/// check (see <see cref="ServerHost"/>) keeps other web sites out through DNS rebinding.
/// </summary>
public sealed class AccessGuard(ServerOptions options)
{
    public const string CookieName = "v2a_session";

    /// <summary>Paths served without the token: the login form and the stylesheet it uses.</summary>
    private static readonly string[] OpenPaths = ["/login", "/app.css", "/favicon.svg"];

    private readonly byte[]? _token = options.Token is null ? null : Encoding.UTF8.GetBytes(options.Token);

    public bool Required => _token is not null;

    /// <summary>True when the request carries a valid Bearer token (such a request cannot be forged cross-site).</summary>
    public bool HasValidBearer(HttpContext context)
    {
        if (_token is null)
        {
            return false;
        }

        var header = context.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()), _token);
    }

    public bool IsAuthenticated(HttpContext context)
    {
        if (_token is null || HasValidBearer(context))
        {
            return true;
        }

        return context.Request.Cookies.TryGetValue(CookieName, out var cookie)
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(cookie ?? ""), Encoding.ASCII.GetBytes(SessionValue()));
    }

    public bool CheckToken(string? candidate) =>
        _token is not null && candidate is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), _token);

    /// <summary>The cookie value: HMAC-SHA256 of a fixed label keyed by the token, so the cookie never holds the token itself.</summary>
    public string SessionValue() =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_token ?? [], "v2a-session-v1"u8));

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (_token is null || IsAuthenticated(context) || OpenPaths.Contains(context.Request.Path.Value, StringComparer.OrdinalIgnoreCase))
        {
            await next(context);
            return;
        }

        var path = context.Request.Path;
        if (HttpMethods.IsGet(context.Request.Method) && !path.StartsWithSegments("/api") && !path.StartsWithSegments("/openapi"))
        {
            // A person opening the page: show the login form.
            context.Response.Redirect("/login");
            return;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"v2a\"";
        await Results.Problem(
            detail: "this server needs its access token: send 'Authorization: Bearer TOKEN' or log in on the page",
            statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(context);
    }
}

/// <summary>
/// Cross-site request protection for state-changing requests (POST, PUT, PATCH, DELETE). A request must
/// (1) not come from another origin: an Origin header, when sent, must equal this server's origin, and a
/// Sec-Fetch-Site header, when sent, must not be "cross-site"; and (2) on /api/, carry the custom header
/// <c>X-V2a-Request: 1</c>, which an HTML form cannot send and a cross-origin script cannot send without a CORS
/// preflight that this server never approves; requests authenticated with a Bearer token are exempt from (2).
/// The session cookie is SameSite=Strict besides.
/// </summary>
public sealed class CsrfGuard(AccessGuard access)
{
    public const string HeaderName = "X-V2a-Request";

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            await next(context);
            return;
        }

        string? reason = null;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !SameOrigin(origin, request))
        {
            reason = $"cross-site request refused: Origin '{Shorten(origin)}' is not this server";
        }
        else if (request.Headers["Sec-Fetch-Site"].ToString() == "cross-site")
        {
            reason = "cross-site request refused (Sec-Fetch-Site: cross-site)";
        }
        else if (request.Path.StartsWithSegments("/api") && request.Headers[HeaderName].ToString() != "1"
                 && !access.HasValidBearer(context))
        {
            reason = $"missing header '{HeaderName}: 1' (the API's protection against cross-site requests)";
        }

        if (reason is not null)
        {
            await Results.Problem(detail: reason, statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
            return;
        }

        await next(context);
    }

    private static bool SameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var o)
        && string.Equals(o.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(o.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);

    private static string Shorten(string s) => s.Length <= 80 ? s : s[..80] + "…";
}
