"""Schema pieces every API module shares (drf-spectacular)."""

from drf_spectacular.utils import OpenApiResponse

PROBLEM = OpenApiResponse(
    description="Problem details (application/problem+json)", response={"$ref": "#/components/schemas/Problem"}
)
