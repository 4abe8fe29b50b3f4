"""How a project row is shown: to people (ProjectOut) and in events (ProjectData)."""

from datetime import datetime

from services.signings.domain import days_in_stage, in_wan
from services.signings.schemas import ProjectOut
from shared.events.signings import ProjectData


def project_data(row: dict) -> ProjectData:
    return ProjectData(
        project_id=row["id"],
        version=row["version"],
        title=row["title"],
        county=row["county"],
        kind=row["kind"],
        partner_name=row["partner_name"],
        partner_kind=row["partner_kind"],
        sector=row["sector"],
        amount_cny=row["amount_cny"],
        achievement_id=row["achievement_id"],
        stage=row["stage"],
    )


def project_out(row: dict, now: datetime) -> ProjectOut:
    return ProjectOut.model_validate(
        row
        | {
            "amount_wan": in_wan(row["amount_cny"]),
            "days_in_stage": days_in_stage(row["stage_since"], now),
        }
    )
