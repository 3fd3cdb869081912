using System.CommandLine;
using Connector.Agent.CommandLine;
using Connector.Orchestrations.Durable;
using Connector.Orchestrations.Operations;
using Spectre.Console;

namespace Connector.Local.Cli;

/// <summary><c>connector lock</c> (who holds a model's lock) and <c>connector locks release-orphaned</c>.</summary>
internal static class LockCommands
{
    public static Command Lock(GlobalOptions globals)
    {
        var workspace = new Argument<string>("workspace-id") { Description = "The Anaplan workspace id." };
        var model = new Argument<string>("model-id") { Description = "The Anaplan model id." };
        Option<bool> json = CommonOptions.Json("the lock");
        var command = new Command("lock", "Show who holds an Anaplan model's lock, for what and since when, and who held it last.") { workspace, model, json };
        globals.SetClientAction(command, async (cli, services, ct) =>
        {
            ModelLockStatus? status = await services.Get<RunOperations>().GetModelLockAsync(cli.Value(workspace)!, cli.Value(model)!, ct);
            if (cli.Value(json))
            {
                cli.WriteJson(status);
                return ExitCodes.Ok;
            }

            if (status is null)
            {
                cli.Output.WriteLine("This model's lock has never been used.");
                return ExitCodes.Ok;
            }

            TextWriter o = cli.Output;
            o.WriteLine($"Lock          {status.Key}");
            if (status.Holder is null && status.LockedBy is null)
            {
                o.WriteLine("Held by       nobody (free)");
            }
            else
            {
                string holder = status.Holder?.InstanceId ?? status.LockedBy!;
                o.WriteLine($"Held by       {holder} ({status.HolderStatus?.ToString() ?? "no longer exists"})");
                if (status.Holder is { } h)
                {
                    o.WriteLine($"  for         {h.Purpose}, since {CliOutput.Time(new DateTimeOffset(DateTime.SpecifyKind(h.Since, DateTimeKind.Utc)))}");
                }

                if (status.HolderIsOrphaned)
                {
                    o.WriteLine("  orphaned    that run no longer runs; free the lock with 'connector locks release-orphaned'");
                }
            }

            if (status.LastReleased is { } last)
            {
                o.WriteLine($"Last released {last.InstanceId} ({last.Purpose}) at {CliOutput.Time(last.ReleasedAt is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null)}");
            }

            o.WriteLine($"Acquisitions  {status.Acquisitions}");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Locks(GlobalOptions globals)
    {
        Option<bool> dryRun = CommonOptions.DryRun("the orphaned locks");
        Option<bool> yes = CommonOptions.Yes();
        var release = new Command(
            "release-orphaned",
            "Release model locks held by runs that no longer run (a run terminated inside its critical section keeps its locks). Asks first unless --yes.")
        {
            dryRun,
            yes,
        };
        globals.SetClientAction(release, async (cli, services, ct) =>
        {
            RunOperations ops = services.Get<RunOperations>();
            IReadOnlyList<OrphanedLock> orphaned = await ops.FindOrphanedLocksAsync(ct);
            if (orphaned.Count > 0)
            {
                Table table = CliOutput.Table("LOCK", "HELD BY", "RUN STATUS", "FOR", "SINCE (UTC)");
                foreach (OrphanedLock o in orphaned)
                {
                    table.Row(o.Key, o.Holder, o.HolderStatus?.ToString() ?? "gone", o.Purpose, o.Since is { } s ? new DateTimeOffset(DateTime.SpecifyKind(s, DateTimeKind.Utc)) : null);
                }

                cli.Console.Write(table);
            }

            if (cli.Value(dryRun))
            {
                cli.Output.WriteLine($"Dry run: would release {orphaned.Count} orphaned lock(s).");
                return ExitCodes.Ok;
            }

            if (orphaned.Count > 0 && !await cli.ConfirmAsync($"Release {orphaned.Count} orphaned lock(s)?", cli.Value(yes), ct))
            {
                return ExitCodes.NotConfirmed;
            }

            int released = await ops.ReleaseOrphanedLocksAsync(cancellationToken: ct);
            cli.Output.WriteLine($"Released {released} orphaned lock(s).");
            return ExitCodes.Ok;
        });
        return new Command("locks", "Operate on the model locks of every Anaplan model.") { release };
    }
}
