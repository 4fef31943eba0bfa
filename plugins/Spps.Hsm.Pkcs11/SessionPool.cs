using System.Collections.Concurrent;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Spps.Hsm.Pkcs11;

/// <summary>
/// A bounded pool of read-write sessions on one token. A session is used by one thread at a time; sessions stay
/// open until the HSM is disposed, because PKCS#11 destroys session objects (non-persistent keys) when the
/// session that created them closes.
/// </summary>
internal sealed class SessionPool : IDisposable
{
    private readonly ISlot _slot;
    private readonly SemaphoreSlim _available;
    private readonly ConcurrentBag<ISession> _idle = new();
    private readonly ConcurrentBag<ISession> _all = new();
    private volatile bool _disposed;

    public SessionPool(ISlot slot, ISession first, int capacity)
    {
        _slot = slot;
        _available = new SemaphoreSlim(capacity, capacity);
        _all.Add(first);
        _idle.Add(first);
    }

    public T Run<T>(Func<ISession, T> operation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _available.Wait();
        ISession? session = null;
        try
        {
            if (!_idle.TryTake(out session))
            {
                session = _slot.OpenSession(SessionType.ReadWrite);
                _all.Add(session);
            }
            return operation(session);
        }
        finally
        {
            if (session is not null) _idle.Add(session);
            _available.Release();
        }
    }

    public void Run(Action<ISession> operation) => Run<bool>(session => { operation(session); return true; });

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var session in _all)
        {
            try { session.CloseSession(); }
            catch (Pkcs11Exception) { /* the token may already be gone; nothing left to release */ }
        }
    }
}
