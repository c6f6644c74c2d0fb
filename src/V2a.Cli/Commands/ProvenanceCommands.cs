using System.CommandLine;
using System.Text.Json;
using V2a.Watermark.Provenance;

namespace V2a.Cli.Commands;

/// <summary><c>v2a provenance show FILE [--json]</c>: the tags and the manifest a file carries.</summary>
public static class ProvenanceCommands
{
    public static Command Create()
    {
        var cmd = new Command("provenance", "Show what made a file: its provenance tags and its C2PA-style manifest.");
        var file = new Argument<string>("file") { Description = "A file v2a wrote (video or audio)." };
        var json = CliOptions.Json();
        var show = new Command("show", "Print a file's provenance tags and manifest, and check the manifest's hash of the file.") { file, json };
        show.SetAction(parse =>
        {
            var r = Provenance.Read(parse.GetValue(file)!);
            if (parse.GetValue(json))
            {
                CliOptions.WriteJson(r);
                return ExitCodes.Ok;
            }

            Console.WriteLine($"file:        {r.File}");
            Console.WriteLine($"AI-generated: {(r.AiGenerated ? "yes (declared)" : "not declared")}");
            Console.WriteLine(r.Tags.Count == 0 ? "tags:        none" : "tags:");
            foreach (var (k, v) in r.Tags)
            {
                Console.WriteLine($"  {k} = {v}");
            }

            if (r.ManifestError is { } err)
            {
                Console.WriteLine($"manifest:    {err}");
            }
            else if (r.Manifest is { } m)
            {
                Console.WriteLine($"manifest:    {r.ManifestPath}");
                Console.WriteLine($"output hash: {(r.OutputHashMatches == true ? "matches the file" : "DOES NOT match the file (changed since it was written)")}");
                Console.WriteLine(m.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            }
            else
            {
                Console.WriteLine($"manifest:    none (no {Path.GetFileName(r.File)}{Provenance.ManifestSuffix} beside it)");
            }

            return ExitCodes.Ok;
        });
        cmd.Subcommands.Add(show);
        return cmd;
    }
}
