namespace Spps.Core.Tests;

/// <summary>docs/errors.md is what users read when they meet a code: it must list every code there is, once.</summary>
public sealed class ErrorCatalogTests
{
    [Fact]
    public void Every_error_code_of_core_plugins_and_tasks_is_documented_once_and_codes_are_unique()
    {
        var codes = ErrorCodes.All.Select(c => c.Id).ToList();
        Assert.Equal(codes.Count, codes.Distinct().Count());
        Assert.Contains("SPPS3125", codes); // the PKCS#11 plugin's codes are in the one catalogue
        Assert.Contains("SPPS6000", codes); // and so are the MSBuild tasks'
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "errors.md"));
        Assert.All(ErrorCodes.All, code => Assert.Single(System.Text.RegularExpressions.Regex.Matches(doc, $@"^\| `{code.Id}` \| {code.Name} \|", System.Text.RegularExpressions.RegexOptions.Multiline)));
    }

    [Theory]
    [InlineData("SPPS2003", 2)] // usage
    [InlineData("SPPS4014", 3)] // validation
    [InlineData("SPPS4008", 4)] // security
    [InlineData("SPPS5002", 5)] // device
    [InlineData("SPPS1005", 1)] // input
    [InlineData("SPPS3106", 1)] // HSM
    public void The_category_decides_the_exit_code(string id, int exit) =>
        Assert.Equal(exit, Spps.Hosting.ExitCodes.For(ErrorCodes.Find(id)!));

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Spps.Build.sln"))) dir = dir.Parent;
        return dir!.FullName;
    }
}
