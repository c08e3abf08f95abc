<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

class Webhook extends Model
{
    protected $fillable = [
        'tenant_id',
        'created_by_user_id',
        'url',
        'events',
        'is_active',
    ];

    protected $casts = [
        'events' => 'array',
        'created_by_user_id' => 'string',
        'is_active' => 'boolean',
    ];

    public function createdBy(): BelongsTo
    {
        return $this->belongsTo(User::class, 'created_by_user_id');
    }

    public function tenant(): BelongsTo
    {
        return $this->belongsTo(Tenant::class);
    }

    public function scopeOwnedBy($query, string $userId)
    {
        return $query->where('created_by_user_id', $userId);
    }

    public function isOwnedBy(User $user): bool
    {
        return $this->created_by_user_id == $user->id;
    }
}
