using System.Text.Json;
using Dexra.SharedKernel.Api;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

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
        for (Exception? e = bad; e is not null; e = e.InnerException)
        {
            if (e is JsonException json)
            {
                return $"The body is not valid JSON for this request: {json.Message}";
            }
        }

        return bad.Message;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string path);
}
