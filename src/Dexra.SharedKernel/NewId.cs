namespace Dexra.SharedKernel;

/// <summary>Time-ordered ids (UUIDv7): they index well and sort by creation.</summary>
public static class NewId
{
    public static Guid Next() => Guid.CreateVersion7();

    public static Guid Next(DateTimeOffset at) => Guid.CreateVersion7(at);
}
