using System.Text.RegularExpressions;

namespace Spps.Tools.Tests;

/// <summary>The README's quick start, block by block, exactly as written, by a user with an empty HOME.</summary>
[Collection(Machine.Collection)]
public sealed partial class QuickStartTests(Machine machine)
{
    [Fact]
    public void The_readme_quick_start_runs_as_written_and_ends_with_a_valid_job_status()
    {
        var readme = File.ReadAllText(Path.Combine(Machine.RepoRoot, "README.md"));
        var start = readme.IndexOf("\n## Quick start", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '## Quick start' section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        var blocks = ShellBlock().Matches(readme[start..end]).Select(m => m.Groups[1].Value).ToList();
        Assert.True(blocks.Count >= 5, $"expected the quick start's shell blocks, found {blocks.Count}");

        // One shell, as a user pasting the blocks into one terminal; the first block runs in the checkout.
        var script = "set -eo pipefail\n" + string.Join("\n", blocks);
        var env = machine.NewUser("quick-start-user");
        var run = Run.Start("bash", ["-c", script], Machine.RepoRoot, env);
        run.ShouldSucceed();
        var verdict = run.Output.LastIndexOf("Job status is ", StringComparison.Ordinal);
        Assert.True(verdict >= 0, "the quick start printed no job status verdict:\n" + run.Output);
        Assert.StartsWith("Job status is VALID.", run.Output[verdict..]);
        Assert.EndsWith("The Execute Script command succeeded.", run.Output.TrimEnd());
        Assert.Contains("error SPPS4008", run.Output);
        Assert.Contains("one board refused, as it must be", run.Output);
        Assert.DoesNotContain("   at ", run.Output);
    }

    [GeneratedRegex("```sh\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
