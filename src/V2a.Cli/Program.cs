using System.CommandLine;
using V2a.Cli;
using V2a.Cli.Commands;

var root = new RootCommand("v2a: generates soundtracks that fit a video (sound effects on the frame, ambience, music, speech).");
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(ProbeCommand.Create());
root.Subcommands.Add(SelfCheckCommand.Create());
root.Subcommands.Add(CorpusCommands.Create());
root.Subcommands.Add(DataCommands.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(WatermarkCommands.Create());
root.Subcommands.Add(ProvenanceCommands.Create());
root.Subcommands.Add(ServeCommand.Create());
foreach (var command in EvalCommands.Create()) { root.Subcommands.Add(command); }

return CliRunner.Run(root, args);
