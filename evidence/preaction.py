"""The pre-action pack for an individual in England and Wales: Information Sheet, Reply Form, Financial Statement.

The Pre-Action Protocol for Debt Claims asks a creditor writing to an individual
(including a sole trader) to enclose, with the letter of claim, an information
sheet explaining what the debtor can do, a form to reply on, and a financial
statement form; the debtor has 30 days to reply. These are the project's own
wording of what the protocol requires, pre-filled with the parties, the debt and
the reply deadline. A business debtor's bundle does not hold them.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from evidence.content import BundleContent, document_stamp
from evidence.letter import ENGLAND_AND_WALES, deadline
from evidence.pdfkit import BODY, BODY_WIDTH, H1, H2, SMALL, Furniture, key_values, markup, money_fn, para, render, text

INFORMATION_SHEET = "pre-action/information-sheet.pdf"
REPLY_FORM = "pre-action/reply-form.pdf"
FINANCIAL_STATEMENT = "pre-action/financial-statement.pdf"
BOX = "[   ]"
BLANK = "_" * 30


def needs_pack(content: BundleContent) -> bool:
    c = content.contract
    return c.client.get("kind") == "individual" and c.jurisdiction in ENGLAND_AND_WALES


def parties(content: BundleContent) -> Flowable:
    c, money = content.contract, money_fn(content.currency)
    days, by = deadline(content)
    return key_values(
        [
            (
                "Creditor",
                ", ".join(x for x in (c.supplier["name"], c.supplier.get("address"), c.supplier["email"]) if x),
            ),
            ("Debtor", ", ".join(x for x in (c.client["name"], c.client.get("address"), c.client["email"]) if x)),
            (
                "Agreement",
                f"{c.title}" + (f" (reference {c.reference})" if c.reference else "") + f", signed {c.signed_on}",
            ),
            (
                "Amount claimed",
                f"{money(content.claim.total)} as of {content.as_of} (see the letter and its statement)",
            ),
            ("Letter dated", content.as_of),
            ("Reply by", f"{by} ({days} days from the date of the letter)"),
        ]
    )


def information_sheet(content: BundleContent) -> list[Flowable]:
    _, by = deadline(content)
    points = [
        (
            "What this is",
            "The letter that came with this sheet says that you owe money and that the creditor may go to "
            "court to recover it. Before anyone goes to court, the rules ask both sides to try to settle "
            "the matter. This sheet tells you what you can do.",
        ),
        (
            "Reply by " + by,
            "Use the Reply Form enclosed to tell the creditor whether you agree that you owe the debt, "
            "whether you want to pay in instalments, or why you dispute it. If you reply, the creditor "
            "should not start court proceedings while you are talking; if you do not reply by that date, "
            "court proceedings may be started against you without further notice.",
        ),
        (
            "If you cannot pay at once",
            "Fill in the Financial Statement enclosed and send it with the Reply Form, so "
            "that the creditor can see what you can afford and consider a payment plan.",
        ),
        (
            "If you need time for advice",
            "Say so on the Reply Form. If you are seeking debt advice, the creditor "
            "should allow you a reasonable time to get it before going to court.",
        ),
        (
            "Free, independent advice",
            "Free and confidential debt advice is available from independent debt advice "
            "charities and services, such as Citizens Advice, National Debtline and "
            "StepChange Debt Charity, and from the Money Helper service. A debt adviser can "
            "help you fill in these forms.",
        ),
        (
            "If you dispute the debt",
            "Say which part you dispute and why on the Reply Form, and ask for any documents "
            "you need. The creditor should answer and provide them before going to court.",
        ),
        (
            "If the matter goes to court",
            "A judgment against you can add court fees and costs to the debt and can be "
            "recorded on a public register, which may make it harder to get credit.",
        ),
    ]
    flow: list[Flowable] = [para("Information Sheet", H1), parties(content), Spacer(1, 3 * mm)]
    for heading, body in points:
        flow += [para(heading, H2), para(body, BODY)]
    return flow


def choices(*labels: str) -> Flowable:
    return key_values([(BOX, label) for label in labels], widths=(14 * mm, BODY_WIDTH - 14 * mm))


def blanks(*labels: str) -> Flowable:
    return key_values([(label, Spacer(1, 7 * mm)) for label in labels], widths=(70 * mm, BODY_WIDTH - 70 * mm))


def reply_form(content: BundleContent) -> list[Flowable]:
    money = money_fn(content.currency)
    total = money(content.claim.total)
    _, by = deadline(content)
    return [
        para("Reply Form", H1),
        parties(content),
        Spacer(1, 3 * mm),
        markup(f"Return this form to the creditor at the address above by <b>{text(by)}</b>. Tick what applies.", BODY),
        para("1. The debt", H2),
        choices(
            f"I agree that I owe {total}.",
            "I agree that I owe part of it: I owe ______________ .",
            "I do not agree that I owe anything (give your reasons in section 4).",
        ),
        para("2. Paying", H2),
        choices(
            f"I will pay {total} in full by ______________ .",
            "I will pay by instalments of ______________ each ______________ (week / month), starting "
            "______________ . My Financial Statement is enclosed.",
            "I cannot pay at present. My Financial Statement is enclosed.",
        ),
        para("3. Advice", H2),
        choices("I am getting debt advice. I need more time to reply.", "I would like to get debt advice."),
        blanks("Adviser's name and organisation", "Date of my appointment"),
        para("4. Documents and reasons", H2),
        choices(
            "Please send me a copy of the agreement.",
            "Please send me a copy of the statement of account.",
            "Please send me: ______________________________ .",
        ),
        blanks("Why I dispute the debt, or part of it", " ", " ", " "),
        para("5. Signed", H2),
        blanks("Signature", "Name", "Date"),
        para("Keep a copy of this form and of anything you send with it.", SMALL),
    ]


INCOME = (
    "Wages or salary after tax",
    "Self-employed earnings after tax",
    "Benefits and tax credits",
    "Pensions",
    "Child maintenance received",
    "Other income (say what)",
)
OUTGOINGS = (
    "Rent or mortgage",
    "Council tax",
    "Gas, electricity, water",
    "Phone and internet",
    "Food and household",
    "Travel (fares, fuel, car)",
    "Childcare and school costs",
    "Insurance",
    "Court orders or fines",
    "Child maintenance paid",
    "Other essential costs (say what)",
)


def money_rows(labels: tuple[str, ...]) -> Flowable:
    return key_values(
        [(label, "£ ______________ per month") for label in labels], widths=(80 * mm, BODY_WIDTH - 80 * mm)
    )


def financial_statement(content: BundleContent) -> list[Flowable]:
    c = content.contract
    return [
        para("Financial Statement", H1),
        parties(content),
        Spacer(1, 3 * mm),
        para(
            "Fill this in if you want to pay by instalments or cannot pay now. Give monthly figures (weekly x 52 / "
            "12). A debt adviser can help you.",
            BODY,
        ),
        para("About you", H2),
        key_values(
            [
                ("Name", c.client["name"]),
                ("Address", c.client.get("address") or " "),
                ("People in your household (adults / children)", Spacer(1, 5 * mm)),
                ("Your job or status", Spacer(1, 5 * mm)),
            ],
            widths=(80 * mm, BODY_WIDTH - 80 * mm),
        ),
        para("Monthly income", H2),
        money_rows(INCOME),
        money_rows(("Total income",)),
        para("Monthly outgoings", H2),
        money_rows(OUTGOINGS),
        money_rows(("Total outgoings",)),
        para("Other debts", H2),
        key_values(
            [("Creditor", "Amount owed / monthly payment"), *[(" ", Spacer(1, 7 * mm))] * 4],
            widths=(80 * mm, BODY_WIDTH - 80 * mm),
        ),
        para("What you can offer", H2),
        money_rows(("Income less outgoings and other payments",)),
        blanks("I offer to pay each month", "Signed", "Date"),
        para("I believe the facts in this statement are true.", SMALL),
    ]


def build(content: BundleContent, title: str, story: list[Flowable]) -> bytes:
    c = content.contract
    furniture = Furniture(
        head_left=f"{c.supplier['name']}: {title}",
        head_right=f"letter of {content.as_of}",
        foot_left=f"Contract {c.id}",
    )
    return render(
        story,
        furniture,
        title=title,
        subject=f"Pre-Action Protocol for Debt Claims: {c.title}",
        author=c.supplier["name"],
        keywords=document_stamp(content),
    )


def preaction_pdfs(content: BundleContent) -> dict[str, bytes]:
    """The three forms for an individual in England and Wales; nothing for anyone else."""
    if not needs_pack(content):
        return {}
    return {
        INFORMATION_SHEET: build(content, "Information Sheet", information_sheet(content)),
        REPLY_FORM: build(content, "Reply Form", reply_form(content)),
        FINANCIAL_STATEMENT: build(content, "Financial Statement", financial_statement(content)),
    }
