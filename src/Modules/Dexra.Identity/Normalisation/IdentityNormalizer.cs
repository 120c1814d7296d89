using System.Globalization;
using Dexra.Identity.Contracts;
using PhoneNumbers;

namespace Dexra.Identity.Normalisation;

/// <summary>
/// An identity as stored. <see cref="Raw"/> values could not be normalised: they are kept for the
/// record but never match anything. <see cref="MatchKey"/> groups near-identical values (emails
/// differing by dots or a +tag) for suggestions only.
/// </summary>
internal sealed record NormalizedIdentity(string Kind, string Value, bool Verified, bool Raw = false, string? MatchKey = null)
{
    public (string Kind, string Value) Key => (Kind, Value);
}

/// <summary>One normalisation for ingestion and lookups alike, so any common writing finds the same identity.</summary>
internal static class IdentityNormalizer
{
    public const int MaxValueLength = 400;
    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    /// <summary>The stored identities of one claim: a WhatsApp id is also a phone. Empty when the value is blank.</summary>
    public static IReadOnlyList<NormalizedIdentity> Normalize(IdentityClaim claim, string region)
    {
        var value = (claim.Value ?? "").Trim();
        if (value.Length == 0)
        {
            return [];
        }

        if (value.Length > MaxValueLength)
        {
            return [new NormalizedIdentity(claim.Kind, value[..MaxValueLength], claim.Verified, Raw: true)];
        }

        switch (claim.Kind)
        {
            case IdentityKinds.Email:
                return [NormalizeEmail(value) is { } email
                    ? new NormalizedIdentity(IdentityKinds.Email, email, claim.Verified, MatchKey: EmailMatchKey(email))
                    : new NormalizedIdentity(IdentityKinds.Email, value, claim.Verified, Raw: true)];
            case IdentityKinds.Phone:
                return [NormalizePhone(value, region) is { } phone
                    ? new NormalizedIdentity(IdentityKinds.Phone, phone, claim.Verified)
                    : new NormalizedIdentity(IdentityKinds.Phone, value, claim.Verified, Raw: true)];
            case IdentityKinds.WhatsApp:
                if (NormalizeWhatsApp(value) is not { } waId)
                {
                    return [new NormalizedIdentity(IdentityKinds.WhatsApp, value, claim.Verified, Raw: true)];
                }

                var asPhone = NormalizePhone("+" + waId, region);
                return asPhone is null
                    ? [new NormalizedIdentity(IdentityKinds.WhatsApp, waId, claim.Verified)]
                    : [new NormalizedIdentity(IdentityKinds.WhatsApp, waId, claim.Verified), new NormalizedIdentity(IdentityKinds.Phone, asPhone, claim.Verified)];
            case IdentityKinds.Telegram:
                return [long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var telegramId)
                    ? new NormalizedIdentity(IdentityKinds.Telegram, telegramId.ToString(CultureInfo.InvariantCulture), claim.Verified)
                    : new NormalizedIdentity(IdentityKinds.Telegram, value, claim.Verified, Raw: true)];
            default:
                return IdentityKinds.All.Contains(claim.Kind)
                    ? [new NormalizedIdentity(claim.Kind, value, claim.Verified)]
                    : [];
        }
    }

    /// <summary>The value a lookup of <paramref name="kind"/> searches for, or null when it can never match.</summary>
    public static string? ForLookup(string kind, string value, string region) =>
        Normalize(new IdentityClaim(kind, value, false), region) is [{ Raw: false } first, ..] ? first.Value : null;

    /// <summary>Trimmed, lower-cased, IDN domain to punycode; null when it is not an address.</summary>
    public static string? NormalizeEmail(string input)
    {
        var value = input.Trim();
        if (value.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
        {
            value = value[7..];
        }

        if (value.StartsWith('<') && value.EndsWith('>'))
        {
            value = value[1..^1].Trim();
        }

        var at = value.LastIndexOf('@');
        if (at <= 0 || at == value.Length - 1 || value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '<' or '>' or ',' or ';'))
        {
            return null;
        }

        var local = value[..at];
        var domain = value[(at + 1)..].TrimEnd('.');
        if (local.Contains('@', StringComparison.Ordinal) || domain.Length == 0 || !domain.Contains('.', StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            domain = Idn.GetAscii(domain);
        }
        catch (ArgumentException)
        {
            return null;
        }

        return (local + "@" + domain).ToLowerInvariant();
    }

    /// <summary>Dots and a +tag in the local part do not make another mailbox at many providers: a hint, never a link.</summary>
    public static string EmailMatchKey(string normalizedEmail)
    {
        var at = normalizedEmail.LastIndexOf('@');
        var local = normalizedEmail[..at];
        var plus = local.IndexOf('+', StringComparison.Ordinal);
        if (plus > 0)
        {
            local = local[..plus];
        }

        return local.Replace(".", "", StringComparison.Ordinal) + normalizedEmail[at..];
    }

    /// <summary>E.164 when libphonenumber finds the number possible for its region; validity metadata lags new ranges.</summary>
    public static string? NormalizePhone(string input, string region)
    {
        var value = input.Trim();
        foreach (var prefix in (string[])["whatsapp:", "tel:", "sms:"])
        {
            if (value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                value = value[prefix.Length..].Trim();
            }
        }

        if (!value.Any(char.IsAsciiDigit) || value.Any(char.IsAsciiLetter) && !value.Contains("ext", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var number = Phones.Parse(value, string.IsNullOrWhiteSpace(region) ? "ZZ" : region.ToUpperInvariant());
            return Phones.IsPossibleNumber(number) ? Phones.Format(number, PhoneNumberFormat.E164) : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    /// <summary>A wa_id is the number's digits without '+'; common writings of it are accepted.</summary>
    public static string? NormalizeWhatsApp(string input)
    {
        var value = input.Trim();
        if (value.StartsWith("whatsapp:", StringComparison.OrdinalIgnoreCase))
        {
            value = value[9..];
        }

        if (value.Any(c => !(char.IsAsciiDigit(c) || c is '+' or ' ' or '-' or '(' or ')' or '.')))
        {
            return null;
        }

        var digits = new string(value.Where(char.IsAsciiDigit).ToArray());
        return digits.Length is >= 6 and <= 15 ? digits : null;
    }
}
