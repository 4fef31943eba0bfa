using Spps.Contracts.Programmers;
using Spps.Core.Device;
using Spps.Core.Domain;
using Spps.Core.Protocol;
using Spps.Device.Reference;

namespace Spps.Core.Manufacturer;

/// <summary>What happened on one board. A skipped board was left alone because its state did not fit the action (no code used).</summary>
public sealed record BoardResult(string Location, string? Dsn, ProgrammingAction Action, bool Succeeded, string Message, ErrorCode? ErrorCode, Coc? Coc, bool Skipped = false,
    DeviceReading? Reading = null)
{
    public bool Failed => !Succeeded && !Skipped;

    /// <summary>Whether an exception is one board's failure (that board's result; the others go on) rather than the run's.</summary>
    public static bool IsBoardFailure(Exception e) => e is SppsException or IOException;

    /// <summary>One board's failure as its result: an SPPS error with its code, an I/O failure as a device protocol error.</summary>
    public static BoardResult Failure(string location, string? dsn, ProgrammingAction action, Exception e) => e switch
    {
        SppsException spps => new(location, dsn, action, false, spps.Message, spps.Code, null),
        IOException io => new(location, dsn, action, false, $"I/O failure: {io.Message}", ErrorCodes.DeviceProtocol, null),
        _ => throw new ArgumentException($"{e.GetType().Name} is not a board failure", nameof(e)),
    };
}

/// <summary>
/// Runs one programming action on the job's devices of every chain the programmers reach, chains in
/// parallel (gang programming), the devices of one chain one after another (<see cref="ChainPlan"/>). Per device: identify, get the authorization code from the M-HSM, load it, send the
/// bitstream (PROGRAM, VERIFY) or erase, then collect the CoC into the job project.
/// </summary>
public sealed class StationRunner(IAuthCodeIssuer mhsm, JobProject project, JobFile job, bool reprogram = false)
{
    /// <summary>
    /// Runs <paramref name="action"/> on every device of the job that <paramref name="ports"/> reach;
    /// <paramref name="report"/> hears each device as it ends and <paramref name="starting"/> (if given) each
    /// device's location as work on it begins (a presenter's "programming…").
    /// </summary>
    public IReadOnlyList<BoardResult> Run(ProgrammingAction action, IReadOnlyList<IJtagPort> ports, int parallelism, Action<BoardResult> report, CancellationToken cancel = default,
        Action<string>? starting = null) =>
        Run(action, ChainPlan.For(job, action, ports), parallelism, report, cancel, starting);

    /// <summary>Runs a plan made by <see cref="ChainPlan.For"/> for this runner's job and <paramref name="action"/>.</summary>
    public IReadOnlyList<BoardResult> Run(ProgrammingAction action, ChainPlan plan, int parallelism, Action<BoardResult> report, CancellationToken cancel = default,
        Action<string>? starting = null)
    {
        var results = new List<BoardResult>[plan.Chains.Count];
        Parallel.For(0, plan.Chains.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, i =>
        {
            // Devices of one chain share its TAP: one after another. Chains (boards, sites) run in parallel.
            // Cancellation is checked only between devices: a device in flight finishes or fails on its own terms.
            results[i] = new List<BoardResult>();
            foreach (var target in plan.Chains[i])
            {
                BoardResult result;
                if (target.Failure is { } failure) result = failure;
                else if (cancel.IsCancellationRequested) result = NotStarted(target.Port!, action);
                else
                {
                    starting?.Invoke(target.Port!.Location);
                    result = action.NeedsAuthorizationCode
                        ? RunOne(target.Port!, action, target.Ticket!, job.Bitstreams.First(b => b.Name == target.Ticket!.Bitstream))
                        : DeviceReadout.Run(target.Port!, action, target.Device!, job.Bitstreams.First(b => b.Name == target.Device!.Bitstream));
                }
                results[i].Add(result);
                report(result);
            }
        });
        return results.SelectMany(r => r).ToList();
    }

    /// <summary>Why this device cannot use a code for <paramref name="action"/> now, or null when it can.</summary>
    private string? Unusable(ProgrammingAction action, DeviceState state, JobBitstream bitstream)
    {
        var holdsThisDesign = state.Programmed && state.DesignDigest == bitstream.DesignDigest;
        if (action.NeedsProgrammedDevice && !state.Programmed)
            return $"device {state.Dsn} is blank: no {action} code was used";
        if (action == ProgrammingAction.Verify && !holdsThisDesign)
            return $"device {state.Dsn} holds another design ({state.Design ?? "unknown"}): no VERIFY code was used";
        if (action == ProgrammingAction.Program && holdsThisDesign && !reprogram)
            return $"device {state.Dsn} already holds this design: no code was used (add -reprogram to program it again)";
        return null;
    }

    private static BoardResult NotStarted(IJtagPort port, ProgrammingAction action)
    {
        port.Dispose();
        return new BoardResult(port.Location, null, action, false, "not started: the run was cancelled (no code was used)", ErrorCodes.Cancelled, null);
    }

    private BoardResult RunOne(IJtagPort port, ProgrammingAction action, JobTicket ticket, JobBitstream bitstream)
    {
        string? dsn = null;
        try
        {
            var device = new ReferenceDevice(port);
            var idcode = device.ReadIdCode();
            if (idcode != JtagInstructions.ReferenceIdCode)
                throw new SppsException(ErrorCodes.WrongDevice, $"IDCODE 0x{idcode:X8} is not a reference-family device (0x{JtagInstructions.ReferenceIdCode:X8}).");
            dsn = device.ReadDsn();
            var state = device.State();
            // Read before asking for a code: a code is spent only where the device can use it.
            if (Unusable(action, state, bitstream) is { } why)
                return new BoardResult(port.Location, dsn, action, false, why, ErrorCodes.DeviceStateRefused, null, Skipped: true);
            var evidence = new DeviceEvidence(ticket.Id, action, Dsn.Parse(dsn, what => new SppsException(ErrorCodes.DeviceProtocol, $"The device reported {what}.")),
                ticket.KeyMode.RequiresDeviceCertificate ? device.Certificate() : null,
                ticket.KeyMode.RequiresDeviceEphemeral ? device.NewEphemeralKey() : null,
                state.FactoryLot);
            var code = mhsm.IssueAuthCode(evidence);
            device.LoadAuthCode(code);
            if (!action.SendsBitstream)
            {
                device.Erase();
            }
            else
            {
                using var ciphertext = job.OpenBitstream(bitstream);
                device.SendBitstream(bitstream.HeaderJson, ciphertext, bitstream.PlaintextLength, bitstream.SegmentSize);
            }
            Coc? coc = null;
            if (ticket.GenerateCoc)
            {
                coc = device.Coc();
                project.AppendCoc(coc);
            }
            return new BoardResult(port.Location, dsn, action, true, $"{action} succeeded on device {ticket.Spec.Device} (DSN {dsn})" + (coc is null ? "" : $", CoC {coc.Result}"), null, coc);
        }
        catch (Exception e) when (BoardResult.IsBoardFailure(e))
        {
            return BoardResult.Failure(port.Location, dsn, action, e);
        }
        finally
        {
            port.Dispose();
        }
    }
}
