namespace Spps.Contracts.Hsm;

/// <summary>
/// A reference to a key that lives inside an HSM. Protocol code only ever holds handles; the key bytes
/// stay in the HSM (the one documented exception is <see cref="IHsm.GenerateDataKey"/>).
/// </summary>
public interface IKeyHandle
{
    /// <summary>The label the key was generated or unwrapped with.</summary>
    string Label { get; }

    /// <summary>Type of key behind the handle.</summary>
    KeyKind Kind { get; }

    /// <summary>True when the key survives the process (a token object); false for session keys.</summary>
    bool IsPersistent { get; }
}
