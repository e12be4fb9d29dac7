"""Access packages: parts, redactions, withholdings and download codes (issue 18).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "access_packages",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("organisation", sa.String(80), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("key_id", sa.String(36), nullable=False),
        sa.Column("sources_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("failed_source", sa.String(80), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("queued_by", sa.String(200), nullable=False),
        _at("built_at"),
        sa.Column("approved_by", sa.String(200), nullable=True),
        _at("approved_at"),
        _at("ready_at"),
        _at("expires_at"),
        _at("deleted_at"),
        _at("created_at", False),
        _at("updated_at", False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["rights_requests.id"],
            name="fk_access_packages_request_id_rights_requests",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name="fk_access_packages_subject_id_subjects"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_packages"),
        sa.UniqueConstraint("request_id", name="uq_access_packages_request"),
    )
    op.create_index(
        "ix_access_packages_organisation", "access_packages", ["organisation"], unique=False
    )
    op.create_index("ix_access_packages_state_expires", "access_packages", ["state", "expires_at"])
    op.create_table(
        "access_package_parts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("package_id", sa.String(36), nullable=False),
        sa.Column("dataset", sa.String(80), nullable=False),
        sa.Column("binding", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("redactions", sa.Integer(), nullable=False),
        _at("done_at"),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["access_packages.id"],
            name="fk_access_package_parts_package_id_access_packages",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_package_parts"),
        sa.UniqueConstraint("package_id", "dataset", "binding", name="uq_access_package_parts"),
    )
    op.create_index("ix_access_package_parts_package_id", "access_package_parts", ["package_id"])
    op.create_table(
        "access_redactions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("package_id", sa.String(36), nullable=False),
        sa.Column("part_id", sa.String(36), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("column", sa.String(128), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("changed_by", sa.String(200), nullable=True),
        _at("changed_at"),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["access_packages.id"],
            name="fk_access_redactions_package_id_access_packages",
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["access_package_parts.id"],
            name="fk_access_redactions_part_id_access_package_parts",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_redactions"),
    )
    op.create_index(
        "ix_access_redactions_part", "access_redactions", ["package_id", "part_id", "row_no"]
    )
    op.create_table(
        "access_withholdings",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("package_id", sa.String(36), nullable=False),
        sa.Column("part_id", sa.String(36), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=True),
        sa.Column("exemption", sa.String(200), nullable=False),
        sa.Column("reason_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("withheld_by", sa.String(200), nullable=False),
        _at("withheld_at", False),
        sa.Column("released_by", sa.String(200), nullable=True),
        _at("released_at"),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["access_packages.id"],
            name="fk_access_withholdings_package_id_access_packages",
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["access_package_parts.id"],
            name="fk_access_withholdings_part_id_access_package_parts",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_withholdings"),
    )
    op.create_index("ix_access_withholdings_package_id", "access_withholdings", ["package_id"])
    op.create_table(
        "access_download_codes",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("package_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        _at("created_at", False),
        _at("expires_at", False),
        _at("used_at"),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["access_packages.id"],
            name="fk_access_download_codes_package_id_access_packages",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_download_codes"),
    )
    op.create_index("ix_access_download_codes_package_id", "access_download_codes", ["package_id"])


def downgrade() -> None:
    op.drop_index("ix_access_download_codes_package_id", table_name="access_download_codes")
    op.drop_table("access_download_codes")
    op.drop_index("ix_access_withholdings_package_id", table_name="access_withholdings")
    op.drop_table("access_withholdings")
    op.drop_index("ix_access_redactions_part", table_name="access_redactions")
    op.drop_table("access_redactions")
    op.drop_index("ix_access_package_parts_package_id", table_name="access_package_parts")
    op.drop_table("access_package_parts")
    op.drop_index("ix_access_packages_state_expires", table_name="access_packages")
    op.drop_index("ix_access_packages_organisation", table_name="access_packages")
    op.drop_table("access_packages")
