using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace V2a.Server.Api;

/// <summary>
/// Fills in what the generated OpenAPI document (served at /openapi/v1.json) cannot see by itself: the title, the
/// Bearer token scheme, the CSRF header, and the multipart body of job submission, which the API reads as a
/// stream (so no parameter declares it).
/// </summary>
internal static class OpenApiDescription
{
    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "v2a server",
                Version = ServerHost.Version,
                Description = "Generates candidate soundtracks for an uploaded video. Jobs wait in a durable queue; results stay on "
                    + "the server until deleted. When the server has an access token, send it as 'Authorization: Bearer TOKEN'. "
                    + $"State-changing requests without a Bearer token need the header '{Security.CsrfGuard.HeaderName}: 1'.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "The server's access token (required when the server was started with --token or listens beyond loopback).",
            };
            return Task.CompletedTask;
        });

        options.AddOperationTransformer((operation, context, _) =>
        {
            var name = context.Description.ActionDescriptor.EndpointMetadata.OfType<IEndpointNameMetadata>().FirstOrDefault()?.EndpointName;
            if (name == "CreateJob")
            {
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Description = "The video and the generation settings.",
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["multipart/form-data"] = new OpenApiMediaType { Schema = SubmissionSchema() },
                    },
                };
            }

            return Task.CompletedTask;
        });
    }

    private static OpenApiSchema SubmissionSchema() => new()
    {
        Type = JsonSchemaType.Object,
        Required = new HashSet<string> { UploadReader.VideoField },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            [UploadReader.VideoField] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Format = "binary",
                Description = "The video (MP4, MOV, MKV, WebM, AVI, MPEG-TS, FLV, Ogg), at most the server's upload limit (GET /api/config).",
            },
            ["prompt"] = Text("What the soundtrack should contain; at most the server's prompt limit (default 500 characters)."),
            ["negative"] = Text("What it should avoid; same limit."),
            ["candidates"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Number of candidate soundtracks, 1 to the server's maximum (default 8).", Default = JsonValue.Create(1) },
            ["seed"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Description = "Seed of the first candidate (candidate k: seed + k), 0 to 2^53−1; random when left out." },
            ["steps"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Sampling steps; the model's default when left out." },
            ["cfg"] = new OpenApiSchema { Type = JsonSchemaType.Number, Description = "Guidance weight, 0 to 30; the model's default when left out." },
        },
    };

    private static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };
}
