using System.Text;

namespace Spps.Core.Commands;

/// <summary>One command of a script: its words and the line it starts on.</summary>
public sealed record ScriptCommand(string Name, IReadOnlyList<ScriptWord> Arguments, SourceLocation Location);

/// <summary>A word and where it is (for errors that point at one option).</summary>
public sealed record ScriptWord(string Text, int Line);

/// <summary>
/// Parses the Tcl subset the Job Manager and FlashPro Express scripts use: commands split by newlines
/// or ';', '#' comments, words that are bare, {braced} (nested, literal) or "quoted", and
/// backslash-newline continuations. Variables and [command substitution] are refused, not ignored.
/// </summary>
public static class TclScript
{
    public static IReadOnlyList<ScriptCommand> Parse(string text, string file)
    {
        var commands = new List<ScriptCommand>();
        var i = 0;
        var line = 1;
        var words = new List<ScriptWord>();
        var commandLine = 1;

        void EndCommand()
        {
            if (words.Count > 0)
                commands.Add(new ScriptCommand(words[0].Text, words.Skip(1).ToList(), new SourceLocation(file, commandLine)));
            words = new List<ScriptWord>();
        }

        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length && text[i + 1] is '\n' or '\r')
            {
                i = SkipContinuation(text, i, ref line);
                continue;
            }
            if (c is ' ' or '\t' or '\r') { i++; continue; }
            if (c is '\n' or ';')
            {
                EndCommand();
                if (c == '\n') line++;
                i++;
                continue;
            }
            if (c == '#' && words.Count == 0)
            {
                while (i < text.Length && text[i] != '\n')
                {
                    if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '\n' or '\r') { i = SkipContinuation(text, i, ref line); continue; }
                    i++;
                }
                continue;
            }
            if (words.Count == 0) commandLine = line;
            var wordLine = line;
            string word;
            if (c == '{') word = Braced(text, ref i, ref line, file);
            else if (c == '"') word = Quoted(text, ref i, ref line, file);
            else word = Bare(text, ref i, line, file);
            words.Add(new ScriptWord(word, wordLine));
            if (i < text.Length && !(text[i] is ' ' or '\t' or '\r' or '\n' or ';' || text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '\n' or '\r'))
                throw new SppsException(ErrorCodes.ScriptSyntax, $"Extra characters after a close-brace or close-quote: '{text[i]}'.", new SourceLocation(file, line));
        }
        EndCommand();
        return commands;
    }

    private static int SkipContinuation(string text, int i, ref int line)
    {
        i++;
        if (text[i] == '\r') i++;
        if (i < text.Length && text[i] == '\n') { i++; line++; }
        while (i < text.Length && text[i] is ' ' or '\t') i++;
        return i;
    }

    private static string Braced(string text, ref int i, ref int line, string file)
    {
        var startLine = line;
        var depth = 1;
        var sb = new StringBuilder();
        i++;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '\\' && i + 1 < text.Length)
            {
                if (text[i + 1] is '\n' or '\r') { i = SkipContinuation(text, i, ref line); sb.Append(' '); continue; }
                sb.Append(c).Append(text[i + 1]);
                i += 2;
                continue;
            }
            if (c == '\n') line++;
            if (c == '{') depth++;
            if (c == '}' && --depth == 0) { i++; return sb.ToString(); }
            sb.Append(c);
            i++;
        }
        throw new SppsException(ErrorCodes.ScriptSyntax, "Missing close-brace for the '{' opened here.", new SourceLocation(file, startLine));
    }

    private static string Quoted(string text, ref int i, ref int line, string file)
    {
        var startLine = line;
        var sb = new StringBuilder();
        i++;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"') { i++; return sb.ToString(); }
            if (c is '$' or '[') throw Substitution(file, line);
            if (c == '\\' && i + 1 < text.Length)
            {
                var next = text[i + 1];
                if (next is '\n' or '\r') { i = SkipContinuation(text, i, ref line); sb.Append(' '); continue; }
                sb.Append(next switch { 'n' => '\n', 't' => '\t', _ => next });
                i += 2;
                continue;
            }
            if (c == '\n') line++;
            sb.Append(c);
            i++;
        }
        throw new SppsException(ErrorCodes.ScriptSyntax, "Missing close-quote for the '\"' opened here.", new SourceLocation(file, startLine));
    }

    private static string Bare(string text, ref int i, int line, string file)
    {
        var sb = new StringBuilder();
        while (i < text.Length && !(text[i] is ' ' or '\t' or '\r' or '\n' or ';'))
        {
            var c = text[i];
            if (c is '$' or '[') throw Substitution(file, line);
            if (c == '\\')
            {
                if (i + 1 < text.Length && text[i + 1] is '\n' or '\r') break;
                if (i + 1 < text.Length) { sb.Append(text[i + 1]); i += 2; continue; }
            }
            if (c is '{' or '"' && sb.Length > 0)
                throw new SppsException(ErrorCodes.ScriptSyntax, $"'{c}' in the middle of a word: put the whole value in braces.", new SourceLocation(file, line));
            sb.Append(c);
            i++;
        }
        return sb.ToString();
    }

    private static SppsException Substitution(string file, int line) =>
        new(ErrorCodes.ScriptSyntax, "Variables ($name) and command substitution ([cmd]) are not supported in SPPS scripts: write the value itself, in braces.", new SourceLocation(file, line));
}
