"""Forms of the equipment pricing pages; the rules are checked by portal/services/equipment*.py."""
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from portal.blueprints.forms import DateField, DebtorField, SelectField, VersionedForm, int_or_none
from portal.domain.pricing import PRICINGS, SELECTIONS


class NamedForm(VersionedForm):
    name = StringField("Name", validators=[DataRequired("Enter the name."), Length(max=120)])
    active = BooleanField("Active", default=True)


class CatalogForm(VersionedForm):
    name = StringField("Name", validators=[DataRequired("Enter the name."), Length(max=120)])
    equipment_type_id = SelectField("Equipment type", coerce=int_or_none, validate_choice=False)
    active = BooleanField("Active", default=True)


class ChargeForm(VersionedForm):
    name = StringField("Charge", validators=[DataRequired("Enter the charge's name."), Length(max=120)])
    bill_code_id = SelectField("Bill code (invoiced under)", coerce=int_or_none, validate_choice=False)
    charge_type = SelectField("Charge type", choices=[("non_recurring", "Non-recurring"), ("recurring", "Recurring")],
                              validate_choice=False)
    default_amount = StringField("Default amount", validators=[Length(max=40)])
    override_allowed = BooleanField("Override amount allowed")
    override_amount = StringField("Override amount", validators=[Length(max=40)])
    po_pricing = BooleanField("Enable purchase order pricing")
    markup_percent = StringField("Markup percent", validators=[Length(max=40)])
    markup_flat = StringField("Markup flat rate", validators=[Length(max=40)])


class PricingSettingsForm(VersionedForm):
    selection = SelectField("Purchase order selection", choices=list(SELECTIONS.items()), validate_choice=False)
    pricing = SelectField("Pricing selection", choices=list(PRICINGS.items()), validate_choice=False)
    markup_percent = StringField("Default markup percent", validators=[Length(max=40)])
    markup_flat = StringField("Default markup flat rate", validators=[Length(max=40)])


class SupplierPOForm(VersionedForm):
    supplier_id = SelectField("Supplier", coerce=int_or_none, validate_choice=False)
    number = StringField("Supplier PO number", validators=[DataRequired("Enter the supplier PO number."), Length(max=40)])
    order_date = DateField("Order date", validators=[InputRequired("Enter the order date (YYYY-MM-DD).")])
    service_desk_item_id = SelectField("Service desk item", coerce=int_or_none, validate_choice=False)
    notes = TextAreaField("Notes", validators=[Length(max=5000)])


class ItemForm(VersionedForm):
    debtor_id = DebtorField("Debtor")
    job_id = SelectField("Job order (optional)", coerce=int_or_none, validate_choice=False)
    customer_po_id = SelectField("Customer PO (optional; else the job's PO)", coerce=int_or_none, validate_choice=False)
    description = StringField("Description", validators=[Length(max=300)])  # required: the service says so
    supplier_po_id = SelectField("Supplier PO", coerce=int_or_none, validate_choice=False)


class EquipmentForm(VersionedForm):
    catalog_id = SelectField("Catalog", coerce=int_or_none, validate_choice=False)
    quantity = StringField("Quantity", default="1", validators=[Length(max=20)])
    fulfilment = SelectField("Fulfilment", choices=[("order", "By order"), ("inventory", "From inventory")],
                             validate_choice=False)
    unit_id = SelectField("Unit (from inventory)", coerce=int_or_none, validate_choice=False)
    supplier_po_id = SelectField("Supplier PO", coerce=int_or_none, validate_choice=False)


class OverrideForm(VersionedForm):
    """A charge's override box on the item page: the rate, and the charge's row version it was opened on."""

    rate = StringField("Override rate", validators=[Length(max=60)])
