using Spps.Contracts.Programmers;
using Spps.Core.Device;
using Spps.Core.Protocol;
using Spps.Device.Reference;

namespace Spps.Core.Manufacturer;

/// <summary>What happened on one board.</summary>
public sealed record BoardResult(string Location, string? Dsn, string Action, bool Succeeded, string Message, string? ErrorCode, Coc? Coc);

/// <summary>
/// Runs one programming action on the job's devices of every chain the programmers reach, chains in
/// parallel (gang programming), the devices of one chain one after another (<see cref="ChainPlan"/>). Per device: identify, get the authorization code from the M-HSM, load it, send the
/// bitstream (PROGRAM, VERIFY) or erase, then collect the CoC into the job project.
/// </summary>
public sealed class StationRunner(IAuthCodeIssuer mhsm, JobProject project, JobFile job)
{
    public IReadOnlyList<BoardResult> Run(string action, IReadOnlyList<IJtagPort> ports, int parallelism, Action<BoardResult> report)
    {
        var plan = ChainPlan.For(job, action, ports);
        var results = new List<BoardResult>[plan.Chains.Count];
        Parallel.For(0, plan.Chains.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, i =>
        {
            // Devices of one chain share its TAP: one after another. Chains (boards, sites) run in parallel.
            results[i] = new List<BoardResult>();
            foreach (var target in plan.Chains[i])
            {
                var result = target.Failure ?? RunOne(target.Port!, action, target.Ticket!, job.Bitstreams.First(b => b.Name == target.Ticket!.Bitstream));
                results[i].Add(result);
                report(result);
            }
        });
        return results.SelectMany(r => r).ToList();
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
