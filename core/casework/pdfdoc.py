"""An official-looking pemda document (kop surat, title, table) with fpdf2."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fpdf import FPDF, FontFace

from core.runtime.settings import Settings

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
HEADER_FILL = (31, 78, 121)


class OfficialPdf(FPDF):
    def __init__(self, settings: Settings, orientation: str = "P"):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.settings = settings
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=14)
        self.set_title(settings.pemda_name)
        self.set_creator("Aduan Terpadu")
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            self.add_font("DejaVu", "", str(regular))
            self.add_font("DejaVu", "B", str(bold))
            self.doc_font = "DejaVu"
            self.doc_unicode = True
        else:  # core fonts only speak latin-1
            self.doc_font = "Helvetica"
            self.doc_unicode = False

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(self.doc_font, "", 7)
        self.cell(0, 4, self.text_of(f"{self.settings.pemda_name} — halaman {self.page_no()} dari {{nb}}"),
                  align="R")

    def text_of(self, value: Any) -> str:
        text = "" if value is None else str(value)
        if not self.doc_unicode:
            text = text.replace("≥", ">=").replace("≤", "<=").replace("—", "-").replace("–", "-")
            text = text.encode("latin-1", "replace").decode("latin-1")
        return text

    def kop(self) -> None:
        """Letterhead: optional logo, pemda name, a double rule."""
        logo = self.settings.pemda_logo_path
        top = self.get_y()
        if logo and Path(logo).exists():
            self.image(logo, x=self.l_margin, y=top, h=20)
        self.set_font(self.doc_font, "B", 15)
        self.cell(0, 8, self.text_of(self.settings.pemda_name.upper()), align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.doc_font, "", 10)
        self.cell(0, 6, self.text_of("Pengelolaan Pengaduan Pelayanan Publik Terpadu (SP4N-LAPOR! dan kanal daerah)"),
                  align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_y(max(self.get_y(), top + 20) + 1)
        right = self.w - self.r_margin
        self.set_line_width(0.8)
        self.line(self.l_margin, self.get_y(), right, self.get_y())
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y() + 1.2, right, self.get_y() + 1.2)
        self.ln(5)

    def title_block(self, title: str, subtitle: str) -> None:
        self.set_font(self.doc_font, "B", 12)
        self.cell(0, 7, self.text_of(title), align="C", new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.doc_font, "", 10)
        self.cell(0, 6, self.text_of(subtitle), align="C", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float],
              aligns: Sequence[str], bold_last: bool = False) -> None:
        self.set_font(self.doc_font, "", 8)
        heading = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=HEADER_FILL)
        with super().table(col_widths=widths, headings_style=heading, line_height=4.5, text_align="CENTER",
                           width=sum(widths), repeat_headings=1) as table:
            head = table.row()
            for text in headers:
                head.cell(self.text_of(text))
            for i, values in enumerate(rows):
                style = FontFace(emphasis="BOLD") if bold_last and i == len(rows) - 1 else None
                row = table.row(style=style)
                for value, align in zip(values, aligns, strict=True):
                    shown = f"{value:.1f}".replace(".", ",") if isinstance(value, float) else value
                    row.cell(self.text_of(shown), align=align)

    def small(self, text: str) -> None:
        self.set_font(self.doc_font, "", 8)
        self.multi_cell(0, 4.5, self.text_of(text), new_x="LMARGIN", new_y="NEXT")
