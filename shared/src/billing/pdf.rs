//! An invoice or credit note as a PDF: A4, the standard Helvetica font (no font file embedded,
//! text kept as text so it can be searched and extracted), one line per row, more pages as
//! needed. Pure Rust (`pdf-writer`).
use super::Billing;
use crate::domain::invoice::{CreditNote, InvoiceLine, Totals};
use crate::domain::money::{Currency, Money};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const TOP: f32 = 790.0;
const BOTTOM: f32 = 60.0;
const LEADING: f32 = 15.0;
const FONT: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
/// Where each column of a line starts.
const COLUMNS: [f32; 5] = [50.0, 300.0, 345.0, 425.0, 505.0];

/// Who the document is from, as printed in its head.
pub struct Letterhead<'a> {
    pub vendor_name: &'a str,
    pub vendor_address: &'a str,
}

/// One row of text: its cells, and whether it is bold.
struct Row {
    cells: Vec<String>,
    bold: bool,
}

fn row(cells: Vec<String>) -> Row {
    Row { cells, bold: false }
}

fn bold(cells: Vec<String>) -> Row {
    Row { cells, bold: true }
}

/// `amount_minor` in major units with the currency's decimals and its code: `1234.50 EUR`.
pub fn major(money: Money) -> String {
    let exponent = iso_currency::Currency::from_code(money.currency.code())
        .and_then(|c| c.exponent())
        .unwrap_or(2);
    let sign = if money.amount_minor < 0 { "-" } else { "" };
    let amount = money.amount_minor.unsigned_abs();
    let code = money.currency.code();
    if exponent == 0 {
        return format!("{sign}{amount} {code}");
    }
    let scale = 10u64.pow(u32::from(exponent));
    format!(
        "{sign}{}.{:0width$} {code}",
        amount / scale,
        amount % scale,
        width = usize::from(exponent)
    )
}

fn line_rows(lines: &[InvoiceLine]) -> Vec<Row> {
    let mut rows = vec![bold(vec![
        "Description".into(),
        "Qty".into(),
        "Net".into(),
        "VAT".into(),
        "Gross".into(),
    ])];
    for line in lines {
        let vat = if line.vat_rate_bp > 0 {
            format!("{} ({}%)", major(line.vat), percent(line.vat_rate_bp))
        } else {
            major(line.vat)
        };
        rows.push(row(vec![
            line.description.clone(),
            line.quantity.to_string(),
            major(line.net),
            vat,
            major(line.gross),
        ]));
    }
    rows
}

fn percent(rate_bp: u16) -> String {
    if rate_bp.is_multiple_of(100) {
        format!("{}", rate_bp / 100)
    } else {
        format!("{}.{:02}", rate_bp / 100, rate_bp % 100)
    }
}

fn total_rows(totals: &Totals, currency: Currency) -> Vec<Row> {
    let money = |minor| Money {
        amount_minor: minor,
        currency,
    };
    let mut rows = vec![
        row(vec![]),
        row(vec![
            "Net total".into(),
            String::new(),
            String::new(),
            String::new(),
            major(totals.net),
        ]),
    ];
    for vat in &totals.vat {
        rows.push(row(vec![
            format!("VAT {}% on {}", percent(vat.rate_bp), major(vat.net)),
            String::new(),
            String::new(),
            String::new(),
            major(vat.vat),
        ]));
    }
    if totals.city_tax.amount_minor != 0 {
        rows.push(row(vec![
            "City tax".into(),
            String::new(),
            String::new(),
            String::new(),
            major(totals.city_tax),
        ]));
    }
    rows.push(bold(vec![
        "Total".into(),
        String::new(),
        String::new(),
        String::new(),
        major(money(totals.gross.amount_minor)),
    ]));
    rows
}

fn right(label: &str, money: Money) -> Row {
    row(vec![
        label.into(),
        String::new(),
        String::new(),
        String::new(),
        major(money),
    ])
}

fn credit_rows(note: &CreditNote) -> Vec<Row> {
    let mut rows = vec![
        row(vec![]),
        bold(vec![format!("Credit note {}", note.number)]),
        row(vec![format!(
            "Issued {} against invoice {}",
            note.issued_at.format("%Y-%m-%d"),
            note.draft.invoice_number
        )]),
        row(vec![format!("Reason: {}", note.draft.reason)]),
    ];
    rows.extend(line_rows(&note.draft.lines));
    rows.extend(total_rows(&note.draft.totals, note.draft.currency));
    rows
}

/// The invoice and its credit notes, as PDF bytes.
pub fn render(billing: &Billing, head: &Letterhead<'_>) -> Vec<u8> {
    let invoice = &billing.invoice;
    let draft = &invoice.draft;
    let mut rows = vec![
        bold(vec![head.vendor_name.to_owned()]),
        row(vec![head.vendor_address.to_owned()]),
        row(vec![]),
        bold(vec![format!("Invoice {}", invoice.number)]),
        row(vec![format!(
            "Issued {}",
            invoice.issued_at.format("%Y-%m-%d %H:%M UTC")
        )]),
        row(vec![format!("Booking {}", draft.booking_id)]),
        row(vec![]),
    ];
    rows.extend(line_rows(&draft.lines));
    rows.extend(total_rows(&draft.totals, draft.currency));
    rows.push(right("Deposit applied", draft.deposit_applied));
    rows.push(right("Paid at the desk", draft.desk_payments));
    rows.push(Row {
        bold: true,
        ..right("Balance", draft.balance)
    });
    for note in &billing.credit_notes {
        rows.extend(credit_rows(note));
    }
    write(&rows)
}

fn write(rows: &[Row]) -> Vec<u8> {
    let per_page = ((TOP - BOTTOM) / LEADING) as usize;
    let pages: Vec<&[Row]> = rows.chunks(per_page.max(1)).collect();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let (font, bold_font) = (Ref::new(3), Ref::new(4));
    let page_ids: Vec<(Ref, Ref)> = (0..pages.len())
        .map(|i| {
            let base = 5 + 2 * i32::try_from(i).unwrap_or(0);
            (Ref::new(base), Ref::new(base + 1))
        })
        .collect();
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|(page, _)| *page))
        .count(i32::try_from(pages.len()).unwrap_or(i32::MAX));
    pdf.type1_font(font)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold_font)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    for (rows, (page_id, content_id)) in pages.iter().zip(&page_ids) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(tree);
        page.contents(*content_id);
        let mut resources = page.resources();
        resources.fonts().pair(FONT, font).pair(BOLD, bold_font);
        resources.finish();
        page.finish();
        let mut content = Content::new();
        let mut y = TOP;
        for row in rows.iter() {
            for (cell, x) in row.cells.iter().zip(COLUMNS) {
                if cell.is_empty() {
                    continue;
                }
                let text = win_ansi(cell);
                content.begin_text();
                content.set_font(if row.bold { BOLD } else { FONT }, 9.5);
                content.next_line(x, y);
                content.show(Str(&text));
                content.end_text();
            }
            y -= LEADING;
        }
        pdf.stream(*content_id, &content.finish());
    }
    pdf.finish()
}

/// Text in the fonts' WinAnsi encoding: Latin-1 as is, the euro sign at 0x80, anything else `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            c if (c as u32) < 0x80 || (0xA0..=0xFF).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_in_major_units_with_the_currencys_decimals() {
        let money = |minor, code| Money::price(minor, code).unwrap();
        assert_eq!(major(money(123_450, "EUR")), "1234.50 EUR");
        assert_eq!(major(money(5, "EUR").with_amount(-5)), "-0.05 EUR");
        assert_eq!(major(money(500, "JPY")), "500 JPY");
        assert_eq!(major(money(12_345, "KWD")), "12.345 KWD");
    }

    #[test]
    fn text_is_encoded_for_the_standard_fonts() {
        assert_eq!(
            win_ansi("Müller €"),
            vec![b'M', 0xFC, b'l', b'l', b'e', b'r', b' ', 0x80]
        );
        assert_eq!(win_ansi("東"), vec![b'?']);
    }
}
