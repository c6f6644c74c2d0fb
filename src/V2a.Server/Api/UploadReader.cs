using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace V2a.Server.Api;

/// <summary>An error the API answers with its status code and a one-line reason.</summary>
public sealed class ApiException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}

/// <summary>A multipart job submission as read: the video streamed to a server-made path, the text fields.</summary>
public sealed class UploadForm
{
    /// <summary>Where the video was stored (a server-made name in the uploads folder), or null when none came.</summary>
    public string? FilePath { get; set; }

    /// <summary>The name the client gave the file; for display only.</summary>
    public string? FileName { get; set; }

    public long FileBytes { get; set; }

    public Dictionary<string, string> Fields { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>
/// Reads a multipart/form-data job submission as a stream: the video goes straight to a file under a server-made
/// name, counted as it arrives, so an upload over the limit is refused (413) without storing more than the limit,
/// and one whose Content-Length already says so is refused before a byte of the body is read.
/// </summary>
public static class UploadReader
{
    /// <summary>The form field that carries the video.</summary>
    public const string VideoField = "video";

    /// <summary>Room for the text fields and multipart framing on top of the video's limit, in bytes.</summary>
    public const long FormOverheadBytes = 1 << 20;

    /// <summary>Longest text field read, in bytes (prompts are limited in characters after reading).</summary>
    private const int MaxFieldBytes = 64 * 1024;

    /// <summary>Refuses (413) a request whose announced body is over the limit, and caps what the server will read.</summary>
    public static void CheckDeclaredSize(HttpContext context, long maxFileBytes)
    {
        var limit = maxFileBytes + FormOverheadBytes;
        if (context.Request.ContentLength is { } length && length > limit)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, TooLarge(maxFileBytes));
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }
    }

    public static string TooLarge(long maxFileBytes) =>
        $"the upload is larger than the server's limit of {maxFileBytes / 1e6:0.#} MB";

    public static async Task<UploadForm> ReadAsync(HttpRequest request, string uploadPath, long maxFileBytes, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType)
            || !contentType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, "send the job as multipart/form-data with the video in the 'video' field");
        }

        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (string.IsNullOrEmpty(boundary) || boundary.Length > 200)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, "the multipart body has no valid boundary");
        }

        var form = new UploadForm();
        var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024, HeadersCountLimit = 16 };
        try
        {
            while (await reader.ReadNextSectionAsync(ct) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    throw new ApiException(StatusCodes.Status400BadRequest, "a multipart section has no form-data Content-Disposition");
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                var isFile = disposition.FileName.HasValue || disposition.FileNameStar.HasValue;
                if (isFile)
                {
                    if (!name.Equals(VideoField, StringComparison.OrdinalIgnoreCase))
                    {
                        throw new ApiException(StatusCodes.Status400BadRequest, $"unexpected file field '{Trim(name)}': send the video as '{VideoField}'");
                    }

                    if (form.FilePath is not null)
                    {
                        throw new ApiException(StatusCodes.Status400BadRequest, "send one video per job");
                    }

                    form.FileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                    form.FilePath = uploadPath;
                    form.FileBytes = await CopyLimitedAsync(section.Body, uploadPath, maxFileBytes, ct);
                }
                else
                {
                    form.Fields[name] = await ReadFieldAsync(section.Body, name, ct);
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, TooLarge(maxFileBytes));
        }
        catch (InvalidDataException e)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, $"the multipart body is malformed ({e.Message})");
        }
        catch (IOException e) when (e is not EndOfStreamException && !ct.IsCancellationRequested)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, $"the upload was cut off ({e.Message})");
        }

        return form;
    }

    private static async Task<long> CopyLimitedAsync(Stream body, string path, long maxBytes, CancellationToken ct)
    {
        var buffer = new byte[81920];
        long total = 0;
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        int read;
        while ((read = await body.ReadAsync(buffer, ct)) > 0)
        {
            total += read;
            if (total > maxBytes)
            {
                throw new ApiException(StatusCodes.Status413PayloadTooLarge, TooLarge(maxBytes));
            }

            await file.WriteAsync(buffer.AsMemory(0, read), ct);
        }

        return total;
    }

    private static async Task<string> ReadFieldAsync(Stream body, string name, CancellationToken ct)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        var total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer.AsMemory(total), ct)) > 0)
        {
            total += read;
            if (total > MaxFieldBytes)
            {
                throw new ApiException(StatusCodes.Status400BadRequest, $"field '{Trim(name)}' is longer than {MaxFieldBytes / 1024} KB");
            }
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, total);
        }
        catch (DecoderFallbackException)
        {
            throw new ApiException(StatusCodes.Status400BadRequest, $"field '{Trim(name)}' is not UTF-8 text");
        }
    }

    private static string Trim(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
