using System.Runtime.InteropServices;
using System.Text;
using Spps.Contracts.Programmers;

namespace Spps.Programmer.Ftdi;

/// <summary>
/// One FTDI channel through libusb-1.0 (Debian libusb-1.0-0), bound with P/Invoke. Thin on purpose, and
/// untested on hardware here: the machines that run the tests have no adapter (docs/programmers.md).
/// </summary>
internal sealed partial class LibUsbTransport : IFtdiTransport
{
    private const string Lib = "libusb-1.0.so.0";
    private const int TimeoutMs = 5000;
    private readonly IntPtr _context;
    private readonly IntPtr _handle;
    private readonly int _interface;
    private readonly byte _out, _in;

    private LibUsbTransport(IntPtr context, IntPtr handle, int channel, string location)
    {
        _context = context;
        _handle = handle;
        _interface = channel - 1;
        _out = (byte)(0x02 + 2 * (channel - 1));
        _in = (byte)(0x81 + 2 * (channel - 1));
        Channel = channel;
        Location = location;
    }

    public string Location { get; }
    public int Channel { get; }

    /// <summary>Opens the first device with this VID:PID (and serial, when given) and claims the channel's interface.</summary>
    public static LibUsbTransport Open(ushort vid, ushort pid, string? serial, int channel)
    {
        IntPtr context;
        try { Check(libusb_init(out context), "libusb_init"); }
        catch (DllNotFoundException) { throw new ProgrammerException(ErrorCodes.ProgrammerInvalid, "libusb-1.0 is not installed: apt-get install libusb-1.0-0."); }
        IntPtr list = IntPtr.Zero;
        try
        {
            var count = libusb_get_device_list(context, out list);
            for (var i = 0; i < count; i++)
            {
                var device = Marshal.ReadIntPtr(list, i * IntPtr.Size);
                Check(libusb_get_device_descriptor(device, out var descriptor), "libusb_get_device_descriptor");
                if (descriptor.idVendor != vid || descriptor.idProduct != pid) continue;
                if (libusb_open(device, out var handle) != 0) continue;
                var found = serial is null || ReadString(handle, descriptor.iSerialNumber) == serial;
                if (!found) { libusb_close(handle); continue; }
                libusb_set_auto_detach_kernel_driver(handle, 1);
                var claimed = libusb_claim_interface(handle, channel - 1);
                if (claimed != 0)
                {
                    libusb_close(handle);
                    throw new ProgrammerException(ErrorCodes.BoardBusy, $"FTDI {vid:x4}:{pid:x4} channel {(char)('A' + channel - 1)} is in use (libusb error {claimed}).");
                }
                return new LibUsbTransport(context, handle, channel, $"ftdi {vid:x4}:{pid:x4}{(serial is null ? "" : " " + serial)} channel {(char)('A' + channel - 1)}");
            }
        }
        finally
        {
            if (list != IntPtr.Zero) libusb_free_device_list(list, 1);
        }
        libusb_exit(context);
        throw new ProgrammerException(ErrorCodes.NoDevices, $"No FTDI adapter {vid:x4}:{pid:x4}{(serial is null ? "" : " with serial " + serial)} is attached (or this user may not open it: check the udev rules).");
    }

    /// <summary>Every attached adapter with one of these VID:PIDs: "vid:pid serial".</summary>
    public static IReadOnlyList<string> List(IEnumerable<(ushort Vid, ushort Pid)> ids)
    {
        var wanted = ids.ToHashSet();
        var found = new List<string>();
        IntPtr context;
        try { if (libusb_init(out context) != 0) return found; }
        catch (DllNotFoundException) { return found; }
        var count = libusb_get_device_list(context, out var list);
        for (var i = 0; i < count; i++)
        {
            var device = Marshal.ReadIntPtr(list, i * IntPtr.Size);
            if (libusb_get_device_descriptor(device, out var d) != 0 || !wanted.Contains((d.idVendor, d.idProduct))) continue;
            var serial = libusb_open(device, out var handle) == 0 ? ReadString(handle, d.iSerialNumber) : null;
            if (handle != IntPtr.Zero) libusb_close(handle);
            found.Add($"{d.idVendor:x4}:{d.idProduct:x4}{(serial is null ? "" : " " + serial)}");
        }
        if (list != IntPtr.Zero) libusb_free_device_list(list, 1);
        libusb_exit(context);
        return found;
    }

    public void Control(byte request, ushort value) =>
        Check(libusb_control_transfer(_handle, 0x40, request, value, (ushort)Channel, IntPtr.Zero, 0, TimeoutMs), $"control request 0x{request:x2}");

    public unsafe void Write(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            for (var done = 0; done < data.Length;)
            {
                Check(libusb_bulk_transfer(_handle, _out, (IntPtr)(p + done), data.Length - done, out var sent, TimeoutMs), "bulk OUT");
                done += sent;
            }
        }
    }

    public unsafe int Read(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            Check(libusb_bulk_transfer(_handle, _in, (IntPtr)p, buffer.Length, out var got, TimeoutMs), "bulk IN");
            return got;
        }
    }

    public void Dispose()
    {
        libusb_release_interface(_handle, _interface);
        libusb_close(_handle);
        libusb_exit(_context);
    }

    private static string? ReadString(IntPtr handle, byte index)
    {
        if (index == 0) return null;
        var buffer = new byte[256];
        var n = libusb_get_string_descriptor_ascii(handle, index, buffer, buffer.Length);
        return n > 0 ? Encoding.ASCII.GetString(buffer, 0, n) : null;
    }

    private static void Check(int result, string what)
    {
        if (result < 0) throw new ProgrammerException(ErrorCodes.ProgrammerDisconnected, $"USB {what} failed: libusb error {result} (the adapter was unplugged or reset?).");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DeviceDescriptor
    {
        public byte bLength, bDescriptorType;
        public ushort bcdUSB;
        public byte bDeviceClass, bDeviceSubClass, bDeviceProtocol, bMaxPacketSize0;
        public ushort idVendor, idProduct, bcdDevice;
        public byte iManufacturer, iProduct, iSerialNumber, bNumConfigurations;
    }

    [LibraryImport(Lib)] private static partial int libusb_init(out IntPtr context);
    [LibraryImport(Lib)] private static partial void libusb_exit(IntPtr context);
    [LibraryImport(Lib)] private static partial nint libusb_get_device_list(IntPtr context, out IntPtr list);
    [LibraryImport(Lib)] private static partial void libusb_free_device_list(IntPtr list, int unref);
    [LibraryImport(Lib)] private static partial int libusb_get_device_descriptor(IntPtr device, out DeviceDescriptor descriptor);
    [LibraryImport(Lib)] private static partial int libusb_open(IntPtr device, out IntPtr handle);
    [LibraryImport(Lib)] private static partial void libusb_close(IntPtr handle);
    [LibraryImport(Lib)] private static partial int libusb_set_auto_detach_kernel_driver(IntPtr handle, int enable);
    [LibraryImport(Lib)] private static partial int libusb_claim_interface(IntPtr handle, int number);
    [LibraryImport(Lib)] private static partial int libusb_release_interface(IntPtr handle, int number);
    [LibraryImport(Lib)] private static partial int libusb_get_string_descriptor_ascii(IntPtr handle, byte index, [Out] byte[] data, int length);
    [LibraryImport(Lib)] private static partial int libusb_control_transfer(IntPtr handle, byte requestType, byte request, ushort value, ushort index, IntPtr data, ushort length, uint timeout);
    [LibraryImport(Lib)] private static partial int libusb_bulk_transfer(IntPtr handle, byte endpoint, IntPtr data, int length, out int transferred, uint timeout);
}
