using Spps.Contracts.Programmers;
using Spps.Core.Device;
using Spps.Core.Protocol;
using Spps.Device.Reference;

namespace Spps.Core.Manufacturer;

/// <summary>What happened on one board.</summary>
public sealed record BoardResult(string Location, string? Dsn, string Action, bool Succeeded, string Message, string? ErrorCode, Coc? Coc);

/// <summary>
/// Runs one programming action on every device the programmer finds, boards in parallel (gang
/// programming). Per device: identify, get the authorization code from the M-HSM, load it, send the
/// bitstream (PROGRAM, VERIFY) or erase, then collect the CoC into the job project.
/// </summary>
public sealed class StationRunner(IAuthCodeIssuer mhsm, JobProject project, JobFile job)
{
    public IReadOnlyList<BoardResult> Run(string action, IReadOnlyList<IJtagPort> ports, int parallelism, Action<BoardResult> report) =>
        Run(action, ports, parallelism, e => { if (e is StationProgress.DeviceFinished f) report(f.Result); }, CancellationToken.None);

    /// <summary>As above, telling <paramref name="progress"/> as it goes; once <paramref name="stop"/> fires, devices not yet started are not run.</summary>
    public IReadOnlyList<BoardResult> Run(string action, IReadOnlyList<IJtagPort> ports, int parallelism, Action<StationProgress> progress, CancellationToken stop)
    {
        var chainDevice = job.Devices.OrderBy(d => d.HwLocation).First();
        var ticket = job.Tickets.FirstOrDefault(t => t.Spec.Action == action && t.Spec.Device == chainDevice.Name)
            ?? throw new SppsException(ErrorCodes.ActionNotAuthorized,
                $"Job {job.Job} has no ticket for {action} on {chainDevice.Name}: the OE authorized only {string.Join(", ", job.Tickets.Select(t => t.Spec.Action).Distinct())}.");
        var bitstream = job.Bitstreams.First(b => b.Name == ticket.Bitstream);
        var results = new BoardResult[ports.Count];
        int done = 0, passed = 0;
        progress(new StationProgress.Started(action, ports.Count));
        Parallel.For(0, ports.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, i =>
        {
            if (stop.IsCancellationRequested)
            {
                ports[i].Dispose();
                results[i] = new BoardResult(ports[i].Location, null, action, false, "Not run: the operator stopped the run before this device started.", ErrorCodes.Stopped, null);
            }
            else
            {
                progress(new StationProgress.DeviceStarted(ports[i].Location, ports.Count));
                results[i] = RunOne(ports[i], action, ticket, bitstream);
            }
            lock (results)
            {
                done++;
                if (results[i].Succeeded) passed++;
                progress(new StationProgress.DeviceFinished(results[i], done, ports.Count, passed, done - passed));
            }
        });
        progress(new StationProgress.Finished(results, stop.IsCancellationRequested));
        return results;
    }

    private BoardResult RunOne(IJtagPort port, string action, JobTicket ticket, JobBitstream bitstream)
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
            var needsCert = ticket.KeyMode is "KFP" or "KFPE";
            var evidence = new DeviceEvidence(ticket.Id, action, dsn,
                needsCert ? device.Certificate() : null,
                ticket.KeyMode == "KFPE" ? device.NewEphemeralKey() : null,
                state.FactoryLot);
            var code = mhsm.IssueAuthCode(evidence);
            device.LoadAuthCode(code);
            if (action == Actions.Erase)
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
        catch (Exception e) when (e is SppsException or ProgrammerException or Spps.Contracts.Hsm.HsmException or IOException)
        {
            // One board's failure is that board's result; the others go on.
            var code = e switch
            {
                SppsException s => s.Code,
                ProgrammerException p => p.Code,
                Spps.Contracts.Hsm.HsmException h => h.Code,
                _ => ErrorCodes.DeviceProtocol,
            };
            return new BoardResult(port.Location, dsn, action, false, e is IOException ? $"I/O failure: {e.Message}" : e.Message, code, null);
        }
        finally
        {
            port.Dispose();
        }
    }
}
