using System.Reflection;
using Spps.Core;

namespace Spps.Core.Tests;

/// <summary>docs/errors.md is what users read when they meet a code: it must list every code there is.</summary>
public sealed class ErrorCatalogTests
{
    [Fact]
    public void Every_error_code_is_documented_once_and_codes_are_unique()
    {
        var codes = typeof(ErrorCodes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).ToList();
        Assert.Equal(codes.Count, codes.Distinct().Count());
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Spps.Build.sln"))) dir = dir.Parent;
        var doc = File.ReadAllText(Path.Combine(dir!.FullName, "docs", "errors.md"));
        Assert.All(codes, code => Assert.Contains($"| `{code}` |", doc));
    }
}
