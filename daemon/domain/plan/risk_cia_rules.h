/* domain/plan/risk_cia_rules.h — pure checks for RiskCia: the C/I/A letters a risk affects. */
#ifndef ISMS_DOMAIN_PLAN_RISK_CIA_RULES_H
#define ISMS_DOMAIN_PLAN_RISK_CIA_RULES_H

#include "common/status.h"

/*
 * Normalises `in` (letters C, I, A in any order and case, each at most once, at least one;
 * spaces and commas between them allowed) into out[4] in the order C, I, A ("IC" -> "CI").
 * Errors: INVALID_ARGUMENT naming the field "affects".
 */
ISMS_MUSTCHECK enum isms_code isms_risk_cia_parse(const char *in, char out[4],
                                                  struct isms_status *st);

#endif
