using System.Text.RegularExpressions;

namespace Spps.Build.Tests;

/// <summary>A broken manifest fails the build with file(line,col): error SPPSnnnn pointing at the fault, and writes nothing.</summary>
[Collection(DotnetCollection.Name)]
public sealed class BrokenManifestTests(PackageFeed feed)
{
    public static TheoryData<string, string, string, string> Breakages => new()
    {
        // name, text to replace, replacement, the text on the line the error must point at
        { "bad JSON", "\"type\": \"FPExpress\",", "\"type\": \"FPExpress\"", "\"devices\"" },
        { "unknown field", "\"action\": \"PROGRAM\", \"max_device\"", "\"action\": \"PROGRAM\", \"max_devices\": 2, \"max_device\"", "max_devices" },
        { "max_device -1", "\"action\": \"PROGRAM\", \"max_device\": 2", "\"action\": \"PROGRAM\", \"max_device\": -1", "\"max_device\": -1" },
        { "missing JDC", "\"jdc\": \"../design/", "\"jdc\": \"../design/NoSuchDesign-", "NoSuchDesign-" },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public void Broken_manifest_is_an_error_at_its_line_and_column_with_no_output(string name, string find, string replace, string faultyLine)
    {
        var project = feed.NewProject("Broken");
        var text = File.ReadAllText(project.Manifest);
        Assert.True(text.Contains(find, StringComparison.Ordinal), $"{name}: the sample manifest changed; update this test");
        File.WriteAllText(project.Manifest, text.Replace(find, replace, StringComparison.Ordinal));

        var build = project.Build().ShouldFail();

        var error = Regex.Match(build.Output, @"(?<file>\S+\.json)\((?<line>\d+),(?<col>\d+)\): error (?<code>SPPS60\d\d): (?<message>[^\r\n]+)");
        Assert.True(error.Success, $"{name}: no 'file(line,col): error SPPS60nn' in:\n{build.Output}");
        Assert.Equal(project.Manifest, error.Groups["file"].Value);
        var lines = File.ReadAllLines(project.Manifest);
        var expectedLine = Array.FindIndex(lines, l => l.Contains(faultyLine, StringComparison.Ordinal)) + 1;
        Assert.Equal(expectedLine, int.Parse(error.Groups["line"].Value));
        Assert.InRange(int.Parse(error.Groups["col"].Value), 1, lines[expectedLine - 1].Length + 1);
        Assert.Empty(project.Outputs());
        Assert.False(File.Exists(project.KeptRequest), $"{name}: no request may be written from a broken manifest");
    }
}
