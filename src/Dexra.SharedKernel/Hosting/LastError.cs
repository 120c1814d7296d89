using System.Diagnostics.CodeAnalysis;

namespace Dexra.SharedKernel.Hosting;

/// <summary>The error a failed work row keeps for the operator: its message, at most <see cref="MaxLength"/> characters.</summary>
public static class LastError
{
    public const int MaxLength = 2000;

    [return: NotNullIfNotNull(nameof(message))]
    public static string? Clip(string? message) => message is { Length: > MaxLength } ? message[..MaxLength] : message;
}
