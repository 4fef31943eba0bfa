using Newtonsoft.Json.Linq;
using Spps.Core.Owner;

namespace Spps.Core.Commands;

/// <summary>The --json shape of a post-production report (import_job_status, SppsVerifyStatus's .report.json).</summary>
public static class ReportJson
{
    public static JObject From(ValidationReport report) => new()
    {
        ["job"] = report.Job,
        ["hsm_task"] = report.HsmTask,
        ["final"] = report.Final,
        ["valid"] = report.Valid,
        ["tickets"] = new JArray(report.Tickets.Select(t => new JObject
        {
            ["ticket_id"] = t.Id.Value, ["name"] = t.Name, ["action"] = t.Action.Name, ["max_device"] = t.MaxDevice, ["issued"] = t.Issued, ["state"] = t.State,
        })),
        ["cocs"] = new JObject { ["valid"] = report.CocsValid, ["invalid"] = report.CocsInvalid, ["total"] = report.CocsTotal },
        ["failures"] = new JArray(report.Failures),
        ["warnings"] = new JArray(report.Warnings.Select(w => w.Message)),
    };
}
