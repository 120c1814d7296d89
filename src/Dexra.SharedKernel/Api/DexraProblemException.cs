using Microsoft.AspNetCore.Http;

namespace Dexra.SharedKernel.Api;

/// <summary>
/// An expected failure that becomes a problem-details answer. Handlers throw it so that a
/// request through the mediator and a direct endpoint answer the same way.
/// </summary>
public class DexraProblemException(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public string Detail { get; } = detail;
}

public sealed class NotFoundException(string what)
    : DexraProblemException(StatusCodes.Status404NotFound, "Not found", $"{what} was not found.");

public sealed class ConflictException(string detail)
    : DexraProblemException(StatusCodes.Status409Conflict, "Conflict", detail);

public sealed class ForbiddenException(string detail)
    : DexraProblemException(StatusCodes.Status403Forbidden, "Forbidden", detail);

public sealed class UnprocessableException(string detail)
    : DexraProblemException(StatusCodes.Status422UnprocessableEntity, "Cannot do that", detail);

/// <summary>Validation failures keyed by field, answered as 400 with an <c>errors</c> map.</summary>
public sealed class RequestValidationException(IDictionary<string, string[]> errors)
    : Exception("The request is not valid.")
{
    public IDictionary<string, string[]> Errors { get; } = errors;

    public static RequestValidationException For(string field, string message) =>
        new(new Dictionary<string, string[]> { [field] = [message] });
}
