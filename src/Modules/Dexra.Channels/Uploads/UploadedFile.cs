using Dexra.SharedKernel.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Dexra.Channels.Uploads;

/// <summary>One file posted as multipart/form-data in a field named <c>file</c>, with the form it came in.</summary>
internal sealed record UploadedFile(string? FileName, byte[] Content, IFormCollection Form)
{
    /// <summary>Room for the multipart framing around the file.</summary>
    private const long Framing = 64 * 1024;

    /// <summary>
    /// Reads the file, answering <paramref name="tooLarge"/> (413) for anything over <paramref name="max"/>
    /// bytes before Kestrel's own cap (30 MB) could answer a bare 413, and 400 naming <c>file</c> for a
    /// request that is not a form or carries no file.
    /// </summary>
    public static async Task<UploadedFile> ReadAsync(HttpContext http, long max, DexraProblemException tooLarge, CancellationToken ct)
    {
        if (http.Request.ContentLength > max + Framing)
        {
            throw tooLarge;
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } cap)
        {
            cap.MaxRequestBodySize = max + Framing;
        }

        if (!http.Request.HasFormContentType)
        {
            throw RequestValidationException.For("file", "Send the file as multipart/form-data in a field named 'file'.");
        }

        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = max + Framing }, ct);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        {
            throw tooLarge;
        }

        var upload = form.Files.GetFile("file") ?? throw RequestValidationException.For("file", "Send the file in a multipart field named 'file'.");
        if (upload.Length > max)
        {
            throw tooLarge;
        }

        if (upload.Length == 0)
        {
            throw RequestValidationException.For("file", "The file is empty.");
        }

        var content = new byte[upload.Length];
        await using (var stream = upload.OpenReadStream())
        {
            await stream.ReadExactlyAsync(content, ct);
        }

        return new UploadedFile(upload.FileName, content, form);
    }
}
