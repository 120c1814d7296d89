using System.Text;
using Dexra.Channels.Inbound.Parsers;

namespace Dexra.UnitTests.Channels;

public sealed class EmailParserTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_gmail_reply_keeps_only_the_new_text()
    {
        const string text = """
            Hi Sam,

            Yes, the replacement arrived this morning. Thanks!

            Alice

            On Mon, Nov 23, 2026 at 5:01 PM Shop Support <help@shop.example.com>
            wrote:

            > Hello Alice,
            >
            > Your replacement has shipped.
            >
            """;
        EmailParser.StripQuotedHistory(text).ShouldBe("Hi Sam,\n\nYes, the replacement arrived this morning. Thanks!\n\nAlice");
    }

    [Fact]
    public void An_outlook_reply_and_a_signature_are_cut()
    {
        const string outlook = "It still does not turn on.\r\n\r\nBob\r\n\r\n________________________________\r\nFrom: Shop Support <help@shop.example.com>\r\nSent: Monday, November 23, 2026 5:01 PM\r\nTo: Bob <bob@example.net>\r\nSubject: RE: Broken kettle\r\n\r\nHave you tried another socket?\r\n";
        EmailParser.StripQuotedHistory(outlook).ShouldBe("It still does not turn on.\n\nBob");

        const string original = "Please cancel.\n\n-----Original Message-----\nFrom: help@shop.example.com\nSent: Monday\n\nOld text";
        EmailParser.StripQuotedHistory(original).ShouldBe("Please cancel.");

        const string signed = "See the photo attached.\n\n-- \nCarol Jones\nHead of Ops, Example Ltd";
        EmailParser.StripQuotedHistory(signed).ShouldBe("See the photo attached.");
    }

    [Fact]
    public void A_reply_to_our_message_carries_its_conversation_and_threading_headers()
    {
        var conversation = Guid.NewGuid();
        var raw = $"""
            Return-Path: <alice@example.org>
            From: "Alice Martin" <Alice@Example.org>
            To: Shop <help@shop.example.com>
            Subject: Re: Order 4411
            Date: Tue, 24 Nov 2026 09:12:00 +0000
            Message-ID: <reply-1@mail.example.org>
            In-Reply-To: <m{Guid.NewGuid():N}.c{conversation:N}@shop.example.com>
            References: <first@mail.example.org> <m{Guid.NewGuid():N}.c{conversation:N}@shop.example.com>
            MIME-Version: 1.0
            Content-Type: multipart/alternative; boundary="b1"

            --b1
            Content-Type: text/plain; charset=UTF-8

            Thank you!

            On Mon, 23 Nov 2026 at 17:01, Shop <help@shop.example.com> wrote:
            > Shipped.
            --b1
            Content-Type: text/html; charset=UTF-8

            <div>Thank you!<script>alert(1)</script></div>
            --b1--
            """.Replace("\n", "\r\n", StringComparison.Ordinal);
        var e = EmailParser.Parse(Encoding.UTF8.GetBytes(raw), Now).Events.Single();
        e.DedupeKey.ShouldBe("reply-1@mail.example.org");
        e.Text.ShouldBe("Thank you!");
        e.Subject.ShouldBe("Re: Order 4411");
        e.ThreadConversationId.ShouldBe(conversation);
        e.References!.Count.ShouldBe(2);
        e.Html!.ShouldNotContain("script");
        e.SenderName.ShouldBe("Alice Martin");
        e.AutoReply.ShouldBeFalse();
    }

    [Fact]
    public void Auto_replies_and_bounces_are_flagged()
    {
        static bool Auto(string headers) => EmailParser.Parse(Encoding.UTF8.GetBytes($"From: a@example.org\r\nTo: help@shop.example.com\r\nSubject: Out of office\r\n{headers}\r\nI am away."), Now).Events[0].AutoReply;
        Auto("Auto-Submitted: auto-replied\r\n").ShouldBeTrue();
        Auto("Auto-Submitted: no\r\n").ShouldBeFalse();
        Auto("Return-Path: <>\r\n").ShouldBeTrue();
        Auto("Precedence: auto_reply\r\n").ShouldBeTrue();
        Auto("").ShouldBeFalse();
    }
}
