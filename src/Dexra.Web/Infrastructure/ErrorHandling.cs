using System.Text.Json;
using System.Text.RegularExpressions;
using Dexra.SharedKernel.Api;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Dexra.Web.Infrastructure;

/// <summary>Every failure becomes RFC 9457 problem details; bad input is never a 500.</summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails problem;
        switch (exception)
        {
            case RequestValidationException validation:
                problem = new ValidationProblemDetails(validation.Errors)
                {
                    Status = StatusCodes.Status400BadRequest,
                    Title = "The request is not valid.",
                    Detail = string.Join(" ", validation.Errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))),
                };
                break;
            case DexraProblemException known:
                problem = new ProblemDetails { Status = known.Status, Title = known.Title, Detail = known.Detail };
                break;
            case BadHttpRequestException bad when FieldError(bad) is { } field:
                problem = new ValidationProblemDetails(new Dictionary<string, string[]> { [field.Name] = [field.Message] })
                {
                    Status = bad.StatusCode,
                    Title = "The request is not valid.",
                    Detail = $"{field.Name}: {field.Message}",
                };
                break;
            case BadHttpRequestException bad:
                problem = new ProblemDetails
                {
                    Status = bad.StatusCode,
                    Title = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "The request body is too large." : "The request could not be read.",
                    Detail = Describe(bad),
                };
                break;
            case var e when RefusedCharacter(e):
                problem = new ProblemDetails
                {
                    Status = StatusCodes.Status400BadRequest,
                    Title = "The request could not be read.",
                    Detail = "Text may not contain the NUL character (\\u0000).",
                };
                break;
            case OperationCanceledException when http.RequestAborted.IsCancellationRequested:
                http.Response.StatusCode = 499;
                return true;
            default:
                LogUnhandled(logger, exception, http.Request.Method, http.Request.Path);
                problem = new ProblemDetails
                {
                    Status = StatusCodes.Status500InternalServerError,
                    Title = "Something went wrong on our side.",
                    Detail = "The error was logged; nothing you sent was the cause. Try again, and report it with the trace id if it persists.",
                };
                break;
        }

        http.Response.StatusCode = problem.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = problem, Exception = exception });
    }

    /// <summary>
    /// PostgreSQL cannot store U+0000 in text or jsonb and refuses it (22021, 22P05). Only a caller's
    /// string carries one, so it is bad input wherever it reaches the database, not a failure of ours.
    /// </summary>
    private static bool RefusedCharacter(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.CharacterNotInRepertoire or Npgsql.PostgresErrorCodes.UntranslatableCharacter })
            {
                return true;
            }
        }

        return false;
    }

    private static string Describe(BadHttpRequestException bad)
    {
        if (FindJson(bad) is { } json)
        {
            return json.Path == "$" && IsWrongType(json)
                ? "The body must be a JSON object with the fields this request takes."
                : $"The body is not valid JSON for this request: {json.Message}";
        }

        // The framework's words for a missing body speak to the developer of the endpoint, not to its caller.
        return bad.Message.Contains("no body was provided", StringComparison.Ordinal) || bad.Message.Contains("was not provided from body", StringComparison.Ordinal)
            ? "The request needs a JSON body."
            : bad.Message;
    }

    /// <summary>
    /// A value of the wrong JSON type in a field (a number for a string, a string for an id) or a query
    /// parameter that does not parse, named by field as a validation error. The serializer's own message
    /// names the server's .NET types, which tell the caller nothing.
    /// </summary>
    private static (string Name, string Message)? FieldError(BadHttpRequestException bad)
    {
        if (FindJson(bad) is { Path: { Length: > 2 } path } json && path.StartsWith("$.", StringComparison.Ordinal) && IsWrongType(json))
        {
            return (path[2..], "The value has the wrong type for this field, or is out of its range.");
        }

        var parameter = UnboundParameter().Match(bad.Message);
        return parameter.Success
            ? (parameter.Groups["name"].Value, $"'{Clip(parameter.Groups["value"].Value)}' is not a valid value for this parameter.")
            : null;
    }

    private static JsonException? FindJson(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is JsonException json)
            {
                return json;
            }
        }

        return null;
    }

    private static bool IsWrongType(JsonException json) => json.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal);

    private static string Clip(string value) => value.Length > 100 ? value[..100] + "…" : value;

    [GeneratedRegex("^Failed to bind parameter \"[^\"]* (?<name>[^\" ]+)\" from \"(?<value>.*)\"\\.$", RegexOptions.Singleline)]
    private static partial Regex UnboundParameter();

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}

/// <summary>
/// The last of the problem writers: it writes whatever the request accepts. The framework's writer
/// declines when the Accept header names no JSON type (Accept: text/plain), and then a 404 became an
/// empty 500 and a validation problem an empty 400. Problem details are the API's only error form.
/// </summary>
internal sealed class AnyAcceptProblemDetailsWriter(IOptions<ProblemDetailsOptions> options, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var problem = context.ProblemDetails;
        var status = problem.Status ?? context.HttpContext.Response.StatusCode;
        problem.Status = status;
        problem.Title ??= ReasonPhrases.GetReasonPhrase(status);
        options.Value.CustomizeProblemDetails?.Invoke(context);
        return new ValueTask(context.HttpContext.Response.WriteAsJsonAsync(
            problem, problem.GetType(), json.Value.SerializerOptions, "application/problem+json", context.HttpContext.RequestAborted));
    }
}
