using System.Security.Cryptography;
using System.Text;

namespace Connector.Infra.Tests.Tools;

/// <summary>
/// ARM's <c>guid(...)</c>: a name-based (version 5) UUID of the arguments joined with '-', in ARM's namespace. Used to
/// check that a role assignment's name is exactly guid(scope, principal, role).
/// </summary>
internal static class ArmGuid
{
    private static readonly Guid Namespace = Guid.Parse("11fb06fb-712d-4ddd-98c7-e71bbd588830");

    public static string Of(params string[] parts)
    {
        byte[] name = Encoding.UTF8.GetBytes(string.Join('-', parts));
#pragma warning disable CA5350 // ARM defines guid() on SHA-1; this reproduces a name, it protects nothing.
        byte[] hash = SHA1.HashData([.. Namespace.ToByteArray(bigEndian: true), .. name]);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }
}
