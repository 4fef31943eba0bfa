namespace Spps.Core.Owner;

/// <summary>
/// How far a long piece of OE work has come, for the host to show: <c>init_bitstream</c> encrypting
/// (Unit bytes) or <c>import_job_status</c> checking CoCs (Unit CoCs). May arrive on several threads;
/// Done only grows, and the last event has Done == Total.
/// </summary>
public sealed record WorkProgress(string Activity, long Done, long Total, string Unit)
{
    public const string Bytes = "bytes";
    public const string Cocs = "CoCs";
}
