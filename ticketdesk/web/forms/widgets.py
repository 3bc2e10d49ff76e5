"""Selects and inputs that write their HTML with f-strings, for pages with many fields."""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import Input, Select
from wtforms.widgets.core import clean_key


class CompactSelect(Select):
    """WTForms' select, written with f-strings.

    The staff list draws eight selects with some eighty options per page. WTForms
    writes every attribute through Markup.format (a pure-Python formatter) and
    inspects render_option's signature once per select: that was three quarters of
    the page's form time. Multiple selects and optgroups still go through WTForms.
    """

    def __call__(self, field, **kwargs):
        if self.multiple or field.has_groups():
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        for flag in self.validation_attrs:
            kwargs.setdefault(flag, bool(getattr(field.flags, flag, False)))
        choices = "".join(self.render_option(choice) for choice in field.iter_choices())
        return Markup(f"<select {_attributes(name=field.name, **kwargs)}>{choices}</select>")

    @classmethod
    def render_option(cls, choice, **kwargs):
        value = str(choice.value) if isinstance(choice.value, bool) else choice.value
        label = escape(choice.label or value)
        if choice.render_kw or kwargs:
            extra = {**(choice.render_kw or {}), **kwargs}
            attributes = _attributes(value=value, selected=choice.selected, **extra)
            return Markup(f"<option {attributes}>{label}</option>")
        selected = " selected" if choice.selected else ""
        return Markup(f'<option value="{escape(value)}"{selected}>{label}</option>')


def _attributes(**kwargs) -> str:
    """WTForms' html_params, each attribute written with one f-string."""
    written = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            written.append(key)
        elif value is not False:
            # escape() leaves a Markup value as it is, quotes and all.
            quoted = str(escape(value)).replace('"', "&quot;")
            written.append(f'{key}="{quoted}"')
    return " ".join(written)


def write_inputs_compactly() -> None:
    """Every input widget writes its attributes with `_attributes`.

    WTForms' html_params writes each attribute through Markup.format: the staff list's
    four inputs (search box, form token, return path, button) cost 1.5 M instructions a
    page that way, 6% of it. Widgets take html_params as a class attribute so that it
    can be replaced; tests/web/test_forms.py holds the output to WTForms' own.
    """
    Input.html_params = staticmethod(_attributes)


class CompactSelectField(SelectField):
    widget = CompactSelect()


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]
